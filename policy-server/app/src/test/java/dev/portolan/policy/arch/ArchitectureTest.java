package dev.portolan.policy.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaPackage;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The policy-server's package layout (docs/architecture.md), checked: packages form no cycle, and
 * the two adapters, {@code grpc} (proxy-facing streams) and {@code web} (actuator), are leaves that
 * know nothing of each other. What both need (provenance rendering, meters, the open streams) lives
 * in {@code explain} and {@code metrics}. The core's own purity test is in policy-server/core.
 */
class ArchitectureTest {
  private static final String ROOT = "dev.portolan.policy";
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    // Main classes of app and core (the core jar is on the classpath), without any test class.
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);
  }

  @Test
  void packages_form_no_cycle() {
    // (**): every package is its own slice, sub-packages included (source vs source.manifests).
    slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void grpc_does_not_import_web() {
    noClasses()
        .that()
        .resideInAPackage(ROOT + ".grpc..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(ROOT + ".web..")
        .check(classes);
  }

  @Test
  void web_does_not_import_grpc() {
    noClasses()
        .that()
        .resideInAPackage(ROOT + ".web..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(ROOT + ".grpc..")
        .check(classes);
  }

  @Test
  void only_the_entry_point_imports_the_adapters() {
    // The root package (application, wiring, start-up log) may; nothing the adapters use may.
    noClasses()
        .that()
        .resideOutsideOfPackages(ROOT, ROOT + ".grpc..", ROOT + ".web..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(ROOT + ".grpc..", ROOT + ".web..")
        .check(classes);
  }

  @Test
  void every_package_is_null_marked() {
    // NullAway checks only @NullMarked packages: a new package without package-info would
    // silently leave the check. Main classes only; package-info itself carries the annotation.
    List<String> unmarked =
        classes.stream()
            .map(JavaClass::getPackage)
            .filter(p -> !p.isAnnotatedWith(NullMarked.class))
            .map(JavaPackage::getName)
            .distinct()
            .sorted()
            .toList();
    assertEquals(List.of(), unmarked, "packages without @NullMarked");
  }
}
