package dev.portolan.policy.netpol;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The evaluator reads only the JDK and the model: no index, no resolver, no framework. So it can be
 * handed any snapshot's records, and the resolver depends on it, never the other way.
 */
class NetpolPurityTest {
  @Test
  void netpol_depends_only_on_the_jdk_and_the_model() {
    var classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.portolan.policy.netpol");
    classes()
        .that()
        .resideInAPackage("dev.portolan.policy.netpol..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            "java..",
            "dev.portolan.policy.model..",
            "dev.portolan.policy.netpol..",
            "org.jspecify.annotations..")
        .check(classes);
  }
}
