package io.sluice.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package graph, read from the compiled classes: every package is its own slice and no two depend on
 * each other, directly or around a loop; the arrows that matter most are named one by one, so that a
 * change that bends one fails with the rule's reason.
 */
@AnalyzeClasses(packages = "io.sluice", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule packages_form_no_cycle = slices().matching("io.sluice.(**)").should().beFreeOfCycles()
      .because("every arrow between packages points one way (see docs/architecture.md)");

  @ArchTest
  static final ArchRule only_the_entry_points_import_the_composition_root = noClasses()
      .that().resideOutsideOfPackages("io.sluice", "io.sluice.node..", "io.sluice.bench..")
      .should().dependOnClassesThat().resideInAPackage("io.sluice.node..")
      .because("node/ only wires, starts and stops: what it holds belongs to the packages it wires");

  @ArchTest
  static final ArchRule the_proxy_never_talks_to_postgresql = noClasses()
      .that().resideInAPackage("io.sluice.proxy..")
      .should().dependOnClassesThat().resideInAnyPackage("io.sluice.store..", "io.vertx.sqlclient..",
          "io.vertx.pgclient..")
      .because("a request is served from the node's memory; PostgreSQL is followed by sync, never asked per request");

  @ArchTest
  static final ArchRule only_the_store_speaks_sql = noClasses()
      .that().resideOutsideOfPackages("io.sluice.store..", "io.sluice.node..", "io.sluice.bench..")
      .should().dependOnClassesThat().resideInAnyPackage("io.vertx.sqlclient..", "io.vertx.pgclient..", "java.sql..")
      .because("all SQL lives in store/, behind Future-returning methods: one projection and one write per entity;"
          + " node/ builds the pool, and bench/ writes with JDBC as an operator's psql session would");

  @ArchTest
  static final ArchRule policies_know_nothing_of_the_admin_api = noClasses()
      .that().resideInAPackage("io.sluice.policy..")
      .should().dependOnClassesThat().resideInAnyPackage("io.sluice.admin..", "io.sluice.proxy..")
      .because("a policy sees one request through PolicyCall; the proxy and the admin API sit above it");

  @ArchTest
  static final ArchRule settings_and_config_are_leaves = noClasses()
      .that().resideInAnyPackage("io.sluice.settings..", "io.sluice.config..", "io.sluice.util..")
      .should().dependOnClassesThat().resideInAnyPackage("io.sluice.admin..", "io.sluice.proxy..",
          "io.sluice.route..", "io.sluice.policy..", "io.sluice.store..", "io.sluice.sync..", "io.sluice.stream..",
          "io.sluice.upstream..", "io.sluice.credential..", "io.sluice.cluster..")
      .because("everything reads settings and the declarative model; they read nothing above them");
}
