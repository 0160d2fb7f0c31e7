package dev.portolan.policy.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The core is pure: no Spring, fabric8, gRPC, protobuf or Netty. The module's pom already makes
 * those impossible to compile against; this keeps the rule visible and guards a future pom edit.
 */
class CorePurityTest {
  @Test
  void core_depends_on_no_framework() {
    var classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.portolan.policy");
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.portolan.policy.model..",
            "dev.portolan.policy.resolve..",
            "dev.portolan.policy.index..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.springframework..",
            "io.fabric8..",
            "io.grpc..",
            "com.google.protobuf..",
            "io.netty..")
        .check(classes);
  }
}
