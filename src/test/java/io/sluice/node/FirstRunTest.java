package io.sluice.node;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.NodeProcess;
import io.sluice.testing.Ports;
import io.sluice.testing.TestDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code make run} on a machine without PostgreSQL: the demo upstream and a node started the way the Makefile
 * starts them (separate JVMs, {@code sluice echo}, {@code sluice run --config conf/sluice.yaml} serving the demo
 * route of conf/routes.yaml). The machine's PostgreSQL cannot be stopped here (other tests use it), so pg.url
 * embedded stands in for auto finding nothing on 127.0.0.1:5432; DatabaseTest shows auto making that choice.
 * Ports are free ones and the data directory is the test's own.
 */
class FirstRunTest {

  /** A first start unpacks PostgreSQL and runs initdb, then migrates: allow for a loaded 2-core machine. */
  private static final Duration START = Duration.ofSeconds(120);

  @TempDir
  Path dir;

  private final List<Process> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    // A test that failed half-way may leave an embedded server behind: never on a shared machine.
    Path pid = dir.resolve("data").resolve("postgres").resolve("postmaster.pid");
    if (Files.exists(pid)) {
      new ProcessBuilder("kill", "-INT", Files.readAllLines(pid).get(0).trim()).start().waitFor();
    }
  }

  private Process sluice(String name, Map<String, String> env, String... args) throws IOException {
    return sluiceIn(null, name, env, args);
  }

  /** The same, run in {@code cwd} (null: this checkout). */
  private Process sluiceIn(Path cwd, String name, Map<String, String> env, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(NodeProcess.QUICK_JVM);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.Sluice"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile()).directory(cwd == null ? null : cwd.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private String log(String name) {
    try {
      return Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }


  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The node's environment as `make run` has it (conf/sluice.yaml), but on free ports and without the stream. */
  private Map<String, String> nodeEnv(int proxy, int admin, Path routes) {
    Map<String, String> env = new HashMap<>();
    env.put("SLUICE_PROXY_PORT", "" + proxy);
    env.put("SLUICE_PROXY_HOST", "127.0.0.1");
    env.put("SLUICE_PROXY_INSTANCES", "1");
    env.put("SLUICE_ADMIN_PORT", "" + admin);
    env.put("SLUICE_PROXY_TLS_PORT", "0");
    env.put("SLUICE_ROUTES_FILE", routes.toString());
    env.put("SLUICE_NODE_DATA_DIR", dir.resolve("data").toString());
    // No access stream (its broker would take 9092 and 9002): StreamProcessTest covers it.
    env.put("SLUICE_STREAM_ENABLED", "false");
    env.put("SLUICE_LOG_FORMAT", "text");
    return env;
  }

  @Test
  void make_run_without_postgresql_serves_the_demo_route_and_takes_admin_writes() throws Exception {
    int echoPort = Ports.free();
    int proxy = Ports.free();
    int admin = Ports.free();
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(routes, Files.readString(Path.of("conf/routes.yaml"))
        .replace("address: 127.0.0.1:8070", "address: 127.0.0.1:" + echoPort));
    sluice("echo", Map.of(), "echo", "--port", "" + echoPort);
    Map<String, String> env = nodeEnv(proxy, admin, routes);
    env.put("SLUICE_PG_URL", "embedded");
    Process node = sluice("node", env, "run", "--config", "conf/sluice.yaml");

    eventually("the node is ready", START, () -> get(admin, "/health/ready").statusCode() == 200,
        () -> log("node") + log("echo"));
    HttpResponse<String> demo = get(proxy, "/demo/hello");
    assertEquals(200, demo.statusCode(), demo.body());
    assertTrue(demo.body().contains("\"path\" : \"/hello\""), "answered by the echo upstream: " + demo.body());

    List<String> first = log("node").lines().limit(4).toList();
    Path data = dir.resolve("data").resolve("postgres").toAbsolutePath();
    assertTrue(first.stream().anyMatch(l -> l.contains("an embedded PostgreSQL 14, for trying Sluice out only")
        && l.contains("data in " + data)), "the first lines say which database and where its data lives: " + first);

    HttpResponse<String> created = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + admin + "/routes?wait=true"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"name\": \"more\", \"service\": \"echo\", \"paths\": [\"/more\"], \"strip_path\": true}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, created.statusCode(), created.body());
    eventually("the route written through the admin API answers", () -> get(proxy, "/more/x").statusCode() == 200);

    node.destroy(); // SIGTERM, as Ctrl-C on make run
    assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the node exits after draining");
    assertEquals(0, node.exitValue(), log("node"));
    assertTrue(log("node").contains("embedded PostgreSQL stopped"), log("node"));
    assertFalse(Files.exists(data.resolve("postmaster.pid")), "no PostgreSQL left running: " + log("node"));
  }

  @Test
  void a_node_killed_outright_leaves_no_server_that_stops_the_next_start_and_its_data_stays() throws Exception {
    Path routes = dir.resolve("routes.yaml");
    Files.copy(Path.of("conf/routes.yaml"), routes);
    Map<String, String> env = nodeEnv(Ports.free(), Ports.free(), routes);
    env.put("SLUICE_PG_URL", "embedded");
    int admin = Integer.parseInt(env.get("SLUICE_ADMIN_PORT"));
    Process first = sluice("first", env, "run", "--config", "conf/sluice.yaml");
    eventually("the first node is ready", START, () -> get(admin, "/health/ready").statusCode() == 200,
        () -> log("first"));
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin
            + "/services")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"name\": \"kept\", \"tenant\": \"demo\", \"targets\": [{\"address\": \"127.0.0.1:9\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, created.statusCode(), created.body());
    first.destroyForcibly().waitFor(); // kill -9: its PostgreSQL is left running

    int proxy2 = Ports.free();
    int admin2 = Ports.free();
    env.put("SLUICE_PROXY_PORT", "" + proxy2);
    env.put("SLUICE_ADMIN_PORT", "" + admin2);
    sluice("second", env, "run", "--config", "conf/sluice.yaml");
    eventually("the second node is ready", START, () -> get(admin2, "/health/ready").statusCode() == 200,
        () -> log("second"));
    assertTrue(log("second").contains("left running"), log("second"));
    HttpResponse<String> kept = get(admin2, "/services");
    assertTrue(kept.body().contains("\"kept\""), "the write of the killed node is still there: " + kept.body());
  }

  /**
   * Found from outside: a node given only its database, started where there is no conf/routes.yaml (a directory of its
   * own, an image), stopped at the missing default file. With PostgreSQL the routes file is only the seed of an empty
   * database: the default one missing is no seed; an empty routes_file says the same.
   */
  @Test
  void with_postgresql_a_node_starts_without_a_routes_file_anywhere() throws Exception {
    try (TestDatabase db = TestDatabase.migrated()) {
      startsWithoutARoutesFile(db);
    }
    // Without a database the routes file is all a node serves: an empty one is refused, naming the setting.
    Map<String, String> fileMode = nodeEnv(Ports.free(), Ports.free(), dir.resolve("unused.yaml"));
    fileMode.put("SLUICE_ROUTES_FILE", "");
    fileMode.put("SLUICE_PG_URL", "");
    Process refused = sluiceIn(dir, "file-mode", fileMode, "run");
    assertTrue(refused.waitFor(60, TimeUnit.SECONDS), log("file-mode"));
    assertEquals(2, refused.exitValue(), log("file-mode"));
    assertTrue(log("file-mode").contains("routes_file"), log("file-mode"));
  }

  private void startsWithoutARoutesFile(TestDatabase db) throws Exception {
    int proxy = Ports.free();
    int admin = Ports.free();
    Map<String, String> env = nodeEnv(proxy, admin, dir.resolve("unused.yaml"));
    env.remove("SLUICE_ROUTES_FILE"); // the default, conf/routes.yaml, absent from the working directory
    env.put("SLUICE_PG_URL", db.url());
    Process node = sluiceIn(dir, "node", env, "run");
    eventually("the node is ready", START, () -> get(admin, "/health/ready").statusCode() == 200, () -> log("node"));
    assertTrue(log("node").contains("no routes file (conf/routes.yaml does not exist)"), log("node"));
    HttpResponse<String> routes = get(admin, "/routes");
    assertEquals(200, routes.statusCode(), routes.body());
    assertTrue(new io.vertx.core.json.JsonObject(routes.body()).getJsonArray("data").isEmpty(), routes.body());
    assertEquals(404, get(proxy, "/demo/hello").statusCode(), "nothing seeded");
    node.destroy();
    assertTrue(node.waitFor(60, TimeUnit.SECONDS), log("node"));
  }

  @Test
  void a_configured_url_where_nothing_answers_fails_the_start_without_falling_back() throws Exception {
    Path routes = dir.resolve("routes.yaml");
    Files.copy(Path.of("conf/routes.yaml"), routes);
    Map<String, String> env = nodeEnv(Ports.free(), Ports.free(), routes);
    env.put("SLUICE_PG_URL", "postgresql://postgres@127.0.0.1:" + Ports.free() + "/sluice");
    Process node = sluice("node", env, "run", "--config", "conf/sluice.yaml");
    assertTrue(node.waitFor(60, TimeUnit.SECONDS), log("node"));
    assertEquals(1, node.exitValue(), log("node"));
    assertTrue(log("node").contains("start failed"), log("node"));
    assertFalse(log("node").contains("embedded"), log("node"));
    assertFalse(Files.exists(dir.resolve("data")), "nothing was started in node.data_dir");
  }
}
