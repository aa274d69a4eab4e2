package io.sluice.stream;

import io.sluice.testing.Http;
import io.sluice.testing.Ports;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node in a JVM of its own ({@code io.sluice.Sluice run} on the test classpath) in a {@link StreamEnv}'s
 * world, on fixed ports and a fixed spool directory, so that a test can kill it with -9 and start it again
 * as the same node.
 */
final class NodeProcess implements AutoCloseable {

  final int proxyPort = Ports.free();
  final int adminPort = Ports.free();
  final int streamPort = Ports.free();
  private final StreamEnv env;
  private final Path dir;
  private final Map<String, String> extra;
  private Process process;
  private int starts;

  NodeProcess(StreamEnv env, Path dir, Map<String, String> extra) {
    this.env = env;
    this.dir = dir;
    this.extra = extra;
  }

  /** Starts (or starts again) the node; returns once /health/ready answers 200. */
  NodeProcess start() throws Exception {
    Path routes = Files.writeString(dir.resolve("routes.yaml"), env.routes);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    starts++;
    List<String> command = new ArrayList<>(List.of(java, "-Xmx384m"));
    command.addAll(io.sluice.testing.NodeProcess.QUICK_JVM);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.Sluice", "run"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log(starts).toFile());
    Map<String, String> e = pb.environment();
    e.keySet().removeIf(k -> k.startsWith("SLUICE_"));
    e.put("SLUICE_CONFIG", Files.writeString(dir.resolve("empty.yaml"), "{}\n").toString());
    e.put("SLUICE_ROUTES_FILE", routes.toString());
    e.put("SLUICE_PG_URL", env.db.url());
    e.put("SLUICE_ADMIN_TOKEN", StreamEnv.ADMIN_TOKEN);
    e.put("SLUICE_KEYS_HMAC_SECRET", "test-hmac-secret");
    e.put("SLUICE_STREAM_CURSOR_SECRET", "test-cursor-secret");
    e.put("SLUICE_KAFKA_BOOTSTRAP", env.bootstrap);
    e.put("SLUICE_KAFKA_TOPIC", env.topic);
    e.put("SLUICE_KAFKA_PARTITIONS", "4");
    e.put("SLUICE_SPOOL_DIR", dir.resolve("spool").toString());
    e.put("SLUICE_PROXY_TLS_PORT", "0");
    e.put("SLUICE_PROXY_HOST", "127.0.0.1");
    e.put("SLUICE_PROXY_PORT", "" + proxyPort);
    e.put("SLUICE_PROXY_INSTANCES", "1");
    e.put("SLUICE_ADMIN_PORT", "" + adminPort);
    e.put("SLUICE_STREAM_PORT", "" + streamPort);
    e.put("SLUICE_LOG_FORMAT", "text");
    e.putAll(extra);
    process = pb.start();
    for (int i = 0; i < 600; i++) {
      if (!process.isAlive()) {
        throw new AssertionError("node exited: " + output());
      }
      try {
        if (adminCall(HttpMethod.GET, "/health/ready", null).status() == 200) {
          return this;
        }
      } catch (Exception notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("node not ready within 60 s: " + output());
  }

  /** kill -9: no shutdown hook, no drain, no last flush. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  Http.Reply adminCall(HttpMethod method, String uri, String body) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(adminPort).setURI(uri)
        .putHeader("Authorization", "Bearer " + StreamEnv.ADMIN_TOKEN);
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    return env.http.call(o, body == null ? null : io.vertx.core.buffer.Buffer.buffer(body));
  }

  /** A new stream token of a tenant. */
  String token(String tenant) throws InterruptedException {
    Http.Reply list = adminCall(HttpMethod.GET, "/tenants?limit=1000", null);
    // Ready means serving; an admin read may still meet a store that answers 503 for a moment on a loaded
    // machine (a pool connection being made): such an answer is retried, any other is the test's failure.
    for (int i = 0; i < 100 && list.status() == 503; i++) {
      Thread.sleep(200);
      list = adminCall(HttpMethod.GET, "/tenants?limit=1000", null);
    }
    if (list.status() != 200) {
      throw new AssertionError("GET /tenants answered " + list.status() + " " + list.text() + "\n" + output());
    }
    for (Object o : new JsonObject(list.text()).getJsonArray("data")) {
      JsonObject t = (JsonObject) o;
      if (t.getString("name").equals(tenant)) {
        Http.Reply r = adminCall(HttpMethod.POST, "/tenants/" + t.getString("id") + "/stream-tokens", "{}");
        return new JsonObject(r.text()).getString("token");
      }
    }
    throw new AssertionError("no tenant " + tenant);
  }

  /** A counter of /metrics (0 when absent). */
  double metric(String name) {
    return StreamEnv.metric(adminCall(HttpMethod.GET, "/metrics", null).text(), name);
  }

  private Path log(int n) {
    return dir.resolve("node-" + n + ".log");
  }

  /** Everything the node printed, over all its starts. */
  String output() {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= starts; i++) {
      try {
        b.append(Files.readString(log(i), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return b.toString();
  }

  /** What the node printed in its last start. */
  String lastOutput() throws IOException {
    return Files.readString(log(starts), StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
