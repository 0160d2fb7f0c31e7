package dev.portolan.proxy;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaPackage;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.List;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * The rooms of the proxy and which way their doors open (docs/architecture.md, docs/proxy.md): the
 * entry point builds everything; {@code connection} (the front door) hands a connection to the
 * protocol rooms {@code http1} and {@code http2}, which stand on {@code http}, {@code relay} and
 * {@code net}; the pure packages import nothing but the JDK (and the nullness annotations).
 */
class ArchitectureTest {
  private static final String PROXY = "dev.portolan.proxy";
  // JSpecify's annotations (@NullMarked, @Nullable) say what may be null and do nothing: a pure
  // package may carry them.
  private static final String NULLNESS = "org.jspecify.annotations..";

  // Main code only: a test may reach across rooms to set a scene.
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages(PROXY);

  /** One slice per package, the entry point's package included. */
  private static final SliceAssignment PACKAGES =
      new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
          String p = c.getPackageName();
          if (p.equals(PROXY) || p.startsWith(PROXY + ".")) {
            return SliceIdentifier.of(p);
          }
          return SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
          return "the packages of " + PROXY;
        }
      };

  @Test
  void no_package_cycles() {
    slices().assignedFrom(PACKAGES).should().beFreeOfCycles().check(MAIN);
  }

  @Test
  void only_the_entry_point_imports_the_front_door() {
    noClasses()
        .that()
        .resideOutsideOfPackages(PROXY, PROXY + ".connection..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(PROXY + ".connection..")
        .check(MAIN);
  }

  @Test
  void the_protocol_rooms_do_not_import_each_other() {
    noClasses()
        .that()
        .resideInAPackage(PROXY + ".http1..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(PROXY + ".http2..")
        .check(MAIN);
    noClasses()
        .that()
        .resideInAPackage(PROXY + ".http2..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(PROXY + ".http1..")
        .check(MAIN);
  }

  @Test
  void detection_and_the_protocol_vocabulary_are_pure() {
    for (String pure : new String[] {"detect", "route"}) {
      classes()
          .that()
          .resideInAPackage(PROXY + "." + pure + "..")
          .should()
          .onlyDependOnClassesThat()
          .resideInAnyPackage("java..", NULLNESS, PROXY + "." + pure + "..")
          .check(MAIN);
    }
  }

  /**
   * The transport header codec does no I/O and knows no Netty; besides the JDK it reads and writes
   * the header's protobuf message ({@code transport.l5d.io.Header}, docs/design/wire.md), which is
   * the format it exists for.
   */
  @Test
  void the_transport_header_codec_is_pure() {
    classes()
        .that()
        .resideInAPackage(PROXY + ".transport..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            "java..",
            NULLNESS,
            PROXY + ".transport..",
            "dev.portolan.api.transport..",
            "com.google.protobuf..")
        .check(MAIN);
  }

  @Test
  void every_package_is_null_marked() {
    // NullAway checks only @NullMarked packages: a new package without package-info would
    // silently leave the check. Main classes only; package-info itself carries the annotation.
    List<String> unmarked =
        MAIN.stream()
            .map(JavaClass::getPackage)
            .filter(p -> !p.isAnnotatedWith(NullMarked.class))
            .map(JavaPackage::getName)
            .distinct()
            .sorted()
            .toList();
    assertEquals(List.of(), unmarked, "packages without @NullMarked");
  }
}
