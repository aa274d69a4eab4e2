package io.sluice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Ports;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice config apply|export} run as an operator would: a separate JVM against a node in PG mode. */
@ExtendWith(VertxExtension.class)
class ConfigCommandTest {

  private static final String TOKEN = "cli-token";

  @TempDir
  Path dir;

  private TestDatabase db;
  private Backend backend;
  private TestNode node;

  /** The exit code and what the command printed (stdout and stderr together). */
  record Run(int exit, String output) {}

  @BeforeEach
  void start(Vertx vertx) {
    db = TestDatabase.migrated();
    backend = Backend.named(vertx, "b");
    String url = db.url();
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()),
        Map.of("SLUICE_PG_URL", url, "SLUICE_ADMIN_TOKEN", TOKEN));
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
    db.close();
  }

  private Run sluice(Map<String, String> env, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // A CLI run is mostly JVM start-up: C1 alone and the serial collector start it sooner (as DocsRunTest's).
    List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), "io.sluice.Sluice"));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the command ends");
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  private String adminUrl() {
    return "http://127.0.0.1:" + node.adminPort();
  }

  @Test
  void export_then_apply_with_a_change_and_a_dry_run() throws Exception {
    Run export = sluice(Map.of(), "config", "export", "--admin", adminUrl(), "--token", TOKEN);
    assertEquals(0, export.exit(), export.output());
    assertTrue(export.output().startsWith("format_version: 1"), export.output());

    Path file = dir.resolve("routes.yaml");
    Files.writeString(file, export.output().replace("name: \"all\"", "name: \"everything\""));
    Run dry = sluice(Map.of("SLUICE_ADMIN_TOKEN", TOKEN), "config", "apply", file.toString(), "--admin", adminUrl(),
        "--dry-run");
    assertEquals(0, dry.exit(), dry.output());
    assertTrue(dry.output().contains("dry run, nothing written: 1 created, 0 updated, 1 deleted"), dry.output());
    assertEquals(1, db.queryLong("select count(*) from routes where name = 'all'"));

    Run apply = sluice(Map.of("SLUICE_ADMIN_TOKEN", TOKEN), "config", "apply", file.toString(), "--admin",
        adminUrl());
    assertEquals(0, apply.exit(), apply.output());
    assertTrue(apply.output().contains("applied: 1 created, 0 updated, 1 deleted"), apply.output());
    assertTrue(apply.output().contains("delete route   all"), apply.output());
    assertEquals(1, db.queryLong("select count(*) from routes where name = 'everything'"));

    Run json = sluice(Map.of(), "config", "export", "--admin", adminUrl(), "--token", TOKEN, "--format", "json");
    assertEquals(0, json.exit(), json.output());
    assertTrue(json.output().trim().startsWith("{") && json.output().contains("\"everything\""), json.output());
  }

  @Test
  void diff_names_every_changed_field_and_rollback_undoes_the_apply() throws Exception {
    long before = db.configVersion();
    Run export = sluice(Map.of(), "config", "export", "--admin", adminUrl(), "--token", TOKEN);
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(file, export.output().replace("retries: 2", "retries: 0")
        .replace("strip_path: false", "strip_path: true"));
    Map<String, String> env = Map.of("SLUICE_ADMIN_TOKEN", TOKEN);
    Run diff = sluice(env, "config", "diff", file.toString(), "--admin", adminUrl());
    assertEquals(0, diff.exit(), diff.output());
    assertTrue(diff.output().contains("update service svc\n      retries: 2 -> 0\n"), diff.output());
    assertTrue(diff.output().contains("update route   all\n      strip_path: false -> true\n"), diff.output());
    assertEquals(before, db.configVersion(), "a diff writes nothing");

    assertEquals(0, sluice(env, "config", "apply", file.toString(), "--admin", adminUrl()).exit());
    assertEquals(1, db.queryLong("select count(*) from routes where strip_path"));
    Run old = sluice(env, "config", "export", "--admin", adminUrl(), "--at", Long.toString(before));
    assertEquals(export.output(), old.output(), "the export of an earlier version is the export made then");
    Run rollback = sluice(env, "config", "rollback", "--to", Long.toString(before), "--admin", adminUrl());
    assertEquals(0, rollback.exit(), rollback.output());
    assertTrue(rollback.output().startsWith("rolled back to version " + before + ": 0 created, 2 updated"),
        rollback.output());
    assertTrue(rollback.output().contains("      strip_path: true -> false"), rollback.output());
    assertEquals(export.output(), sluice(env, "config", "export", "--admin", adminUrl()).output());
    Run missing = sluice(env, "config", "rollback", "--admin", adminUrl());
    assertEquals(2, missing.exit(), missing.output());
  }

  @Test
  void a_bad_file_prints_every_field_error_and_exits_2() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "format_version: 1\nroutes:\n  - {name: r, service: ghost, paths: [nope]}\n");
    long before = db.configVersion();
    Run run = sluice(Map.of(), "config", "apply", file.toString(), "--admin", adminUrl(), "--token", TOKEN);
    assertEquals(2, run.exit(), run.output());
    assertTrue(run.output().contains("routes[0].paths[0]"), run.output());
    // Said once: the node's message ends "; nothing applied" as well.
    assertTrue(run.output().contains("bad.yaml refused, nothing applied: "), run.output());
    assertEquals(1, run.output().split("nothing applied", -1).length - 1, run.output());
    assertEquals(before, db.configVersion());
  }

  @Test
  void an_unreachable_node_exits_1_and_a_missing_token_exits_1() throws Exception {
    int closed = Ports.free(); // nothing listens there: no node of this JVM was given it
    Run down = sluice(Map.of(), "config", "export", "--admin", "http://127.0.0.1:" + closed);
    assertEquals(1, down.exit(), down.output());
    assertTrue(down.output().contains("cannot reach the admin API"), down.output());

    Run noToken = sluice(Map.of(), "config", "export", "--admin", adminUrl());
    assertEquals(1, noToken.exit(), noToken.output());
    assertTrue(noToken.output().contains("401"), noToken.output());
  }

  @Test
  void an_export_while_a_stored_row_is_invalid_names_the_row_and_exits_1() throws Exception {
    db.transaction("insert into routes (name, service_id, paths) select 'sql-badre', id, '{~(unclosed}'"
        + " from services where name = 'svc'");
    Run run = sluice(Map.of(), "config", "export", "--admin", adminUrl(), "--token", TOKEN);
    assertEquals(1, run.exit(), run.output());
    assertTrue(run.output().contains("409 stored_config_invalid"), run.output());
    assertTrue(run.output().contains("route 'sql-badre': routes[1].paths[0]: "), run.output());
    assertTrue(run.output().contains("nothing exported"), run.output());
  }

  @Test
  void a_stored_row_with_control_characters_is_named_escaped_never_printed_raw() throws Exception {
    db.transaction("insert into consumers (tenant_id, username) select id, 'sql' || chr(27) || '[2J' || chr(13)"
        + " || chr(10) || 'forged' || chr(155) || 'x' from tenants limit 1");
    Run run = sluice(Map.of(), "config", "export", "--admin", adminUrl(), "--token", TOKEN);
    assertEquals(1, run.exit(), run.output());
    assertTrue(run.output().contains("consumer 'default/sql\\u001b[2J\\r\\nforged\\u009bx': "), run.output());
    assertTrue(run.output().chars().noneMatch(c -> c == 27 || c == 13 || c == 155), "nothing raw: " + run.output());
  }

  @Test
  void bad_arguments_exit_2() throws Exception {
    Run run = sluice(Map.of(), "config", "apply");
    assertEquals(2, run.exit(), run.output());
    assertTrue(run.output().contains("usage: sluice config apply FILE"), run.output());
  }
}
