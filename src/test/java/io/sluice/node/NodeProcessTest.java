package io.sluice.node;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.settings.BuildInfo;
import io.sluice.testing.NodeProcess;
import io.sluice.testing.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node as an operator runs it: a separate JVM, its exit codes, its signals. */
class NodeProcessTest {

  @TempDir
  Path dir;

  private Process launch(Map<String, String> env, String... args) throws IOException {
    return launch(List.of(), env, args);
  }

  private Process launch(List<String> jvmFlags, Map<String, String> env, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new java.util.ArrayList<>(List.of(java));
    command.addAll(NodeProcess.QUICK_JVM);
    command.addAll(jvmFlags);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.Sluice"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("out.log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
    // Never the checkout's conf/sluice.yaml (its pg.url auto would use or start a PostgreSQL): an empty file.
    Path empty = dir.resolve("empty-settings.yaml");
    Files.writeString(empty, "{}\n");
    pb.environment().put("SLUICE_CONFIG", empty.toString());
    // No access stream (it would start a Kafka broker on 9092 and listen on 9002): StreamProcessTest covers that.
    pb.environment().put("SLUICE_STREAM_ENABLED", "false");
    pb.environment().putAll(env);
    return pb.start();
  }

  private String output() throws IOException {
    return Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8);
  }

  private String outputOrNote() {
    try {
      return output();
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }


  @Test
  void an_unknown_settings_key_stops_the_start_with_exit_code_2() throws Exception {
    Path settings = dir.resolve("sluice.yaml");
    Files.writeString(settings, "proxy:\n  prot: 8080\n");
    Process p = launch(Map.of(), "run", "--config", settings.toString());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertTrue(output().contains("proxy.prot: unknown key"), output());
  }

  @Test
  void a_bad_environment_value_stops_the_start_with_exit_code_2() throws Exception {
    Process p = launch(Map.of("SLUICE_PROXY_PORT", "http"), "run");
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertTrue(output().contains("proxy.port: SLUICE_PROXY_PORT='http' is not an integer"), output());
  }

  @Test
  void an_invalid_routes_file_stops_the_start_with_exit_code_2() throws Exception {
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(routes, "format_version: 1\nroutes:\n  - {name: r, service: ghost}\n");
    Process p = launch(Map.of("SLUICE_ROUTES_FILE", routes.toString(), "SLUICE_PROXY_PORT", "0",
        "SLUICE_ADMIN_PORT", "0", "SLUICE_PROXY_TLS_PORT", "0"), "run");
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertTrue(output().contains("routes[0].service: no service named 'ghost'"), output());
  }

  @Test
  void version_flag_prints_the_one_version() throws Exception {
    Process p = launch(Map.of(), "--version");
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    assertTrue(output().startsWith("sluice " + BuildInfo.current().version() + " "), output());
  }

  /** Netty's switch that keeps every native transport from loading: a machine where neither io_uring nor epoll runs. */
  private static final List<String> NO_NATIVE = List.of("-Dio.netty.transport.noNative=true");

  @Test
  void a_transport_named_that_cannot_run_here_stops_the_start_with_exit_code_2() throws Exception {
    Process p = launch(NO_NATIVE, Map.of("SLUICE_NODE_TRANSPORT", "io_uring"), "run");
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue(), output());
    assertTrue(output().contains("node.transport: io_uring cannot run on this machine (Native transport was "
        + "explicit disabled"), output());
  }

  @Test
  void transport_auto_falls_back_to_nio_where_no_native_transport_loads_and_says_why() throws Exception {
    int admin = Ports.free();
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(routes, "format_version: 1\nservices:\n  - {name: s, targets: [{address: \"127.0.0.1:9\"}]}\n"
        + "routes:\n  - {name: r, service: s}\n");
    Process p = launch(NO_NATIVE, Map.of("SLUICE_ROUTES_FILE", routes.toString(), "SLUICE_PROXY_PORT", "0",
        "SLUICE_PROXY_HOST", "127.0.0.1", "SLUICE_ADMIN_PORT", "" + admin, "SLUICE_PROXY_TLS_PORT", "0",
        "SLUICE_PROXY_INSTANCES", "1", "SLUICE_LOG_FORMAT", "text", "SLUICE_LOG_LEVEL", "info"), "run");
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      eventually("the node is ready", Duration.ofSeconds(30), () -> http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + admin + "/health/ready")).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode() == 200, this::outputOrNote);
      assertTrue(output().contains("node.transport auto: io_uring unavailable (Native transport was explicit "
          + "disabled"), output());
      assertTrue(output().contains("transport: nio;"), output());
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void sigterm_drains_and_exits_0() throws Exception {
    int proxy = Ports.free();
    int admin = Ports.free();
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(routes, "format_version: 1\nservices:\n  - {name: s, targets: [{address: \"127.0.0.1:9\"}]}\n"
        + "routes:\n  - {name: r, service: s}\n");
    Process p = launch(Map.of("SLUICE_ROUTES_FILE", routes.toString(), "SLUICE_PROXY_PORT", "" + proxy,
        "SLUICE_PROXY_HOST", "127.0.0.1", "SLUICE_ADMIN_PORT", "" + admin, "SLUICE_PROXY_TLS_PORT", "0", "SLUICE_PROXY_INSTANCES", "1",
        "SLUICE_PROXY_DRAIN_TIMEOUT_MS", "2000", "SLUICE_LOG_FORMAT", "text"), "run");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    eventually("the node is ready", Duration.ofSeconds(30), () -> http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + admin + "/health/ready")).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode() == 200, this::outputOrNote);
    assertTrue(output().contains("sluice " + BuildInfo.current().version() + " starting"),
        "the first log line names the version: " + output());
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the node exits after draining");
    assertEquals(0, p.exitValue(), output());
    assertTrue(output().contains("draining"), output());
  }
}
