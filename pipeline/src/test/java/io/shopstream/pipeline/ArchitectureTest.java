package io.shopstream.pipeline;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.type;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import org.apache.beam.sdk.io.FileSystems;

/**
 * The layout the code keeps (see docs/architecture.md): a core that knows nothing of Beam but its
 * file systems (local, S3, HDFS), under a thin Beam layer, with the status server beside it and the
 * program on top; no package cycles at any level.
 */
@AnalyzeClasses(
    packages = "io.shopstream.pipeline",
    importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  private static final ArchRule LAYERS =
      layeredArchitecture()
          .consideringOnlyDependenciesInLayers()
          .layer("program")
          .definedBy("io.shopstream.pipeline")
          .layer("ops")
          .definedBy("io.shopstream.pipeline.ops..")
          .layer("beam")
          .definedBy("io.shopstream.pipeline.beam..")
          .layer("core")
          .definedBy("io.shopstream.pipeline.core..")
          .whereLayer("program")
          .mayNotBeAccessedByAnyLayer()
          .whereLayer("ops")
          .mayOnlyBeAccessedByLayers("program")
          .whereLayer("beam")
          .mayOnlyBeAccessedByLayers("program", "ops")
          .whereLayer("core")
          .mayOnlyBeAccessedByLayers("program", "ops", "beam");

  private static final ArchRule THECOREKNOWSNOTHINGOFBEAMBUTITSFILESYSTEMS =
      noClasses()
          .that()
          .resideInAPackage("io.shopstream.pipeline.core..")
          .should()
          .dependOnClassesThat(
              resideInAPackage("org.apache.beam..")
                  .and(not(resideInAnyPackage("org.apache.beam.sdk.io.fs..")))
                  .and(not(type(FileSystems.class))))
          .because("the core is plain Java; Beam's classes are thin adapters in ..beam");

  private static final ArchRule NOCYCLESBETWEENLAYERS =
      slices().matching("io.shopstream.pipeline.(*)..").should().beFreeOfCycles();

  private static final ArchRule NOCYCLESINTHECORE =
      slices().matching("io.shopstream.pipeline.core.(*)..").should().beFreeOfCycles();

  // Rules as methods: Surefire 3.5.3 does not run @ArchTest fields (TNG/ArchUnit#1442).
  @ArchTest
  static void checkLayers(JavaClasses classes) {
    LAYERS.check(classes);
  }

  @ArchTest
  static void checkTheCoreKnowsNothingOfBeamButItsFileSystems(JavaClasses classes) {
    THECOREKNOWSNOTHINGOFBEAMBUTITSFILESYSTEMS.check(classes);
  }

  @ArchTest
  static void checkNoCyclesBetweenLayers(JavaClasses classes) {
    NOCYCLESBETWEENLAYERS.check(classes);
  }

  @ArchTest
  static void checkNoCyclesInTheCore(JavaClasses classes) {
    NOCYCLESINTHECORE.check(classes);
  }
}
