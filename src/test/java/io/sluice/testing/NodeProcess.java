package io.sluice.testing;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One node in a JVM of its own, as an operator runs it ({@code io.sluice.Sluice run}), with a heap limit:
 * what makes an out-of-memory or a kill -9 honest. Proxy and admin listen on free loopback ports; the
 * stream is off unless {@code env} turns it on; the node's log is kept in {@code dir} for failure messages.
 */
public final class NodeProcess implements AutoCloseable {

  public static final String TOKEN = "node-process-token";
  public static final List<String> HAZELCAST_FLAGS = List.of("--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  /**
   * JIT and collector of a node JVM in a test: C1 alone and the serial collector. A test's node serves a few
   * requests, and several JVMs start at once on a 2-core machine, where C2's and G1's threads took the cores the
   * others start on. The same code runs the same way; only how fast it gets compiled differs.
   */
  public static final List<String> QUICK_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  private final Process process;
  private final Path log;
  private final Http http;
  public final int proxyPort;
  public final int adminPort;

  private NodeProcess(Process process, Path log, Http http, int proxyPort, int adminPort) {
    this.process = process;
    this.log = log;
    this.http = http;
    this.proxyPort = proxyPort;
    this.adminPort = adminPort;
  }

  /** Starts {@code sluice run} with {@code heap} (e.g. "128m") and the settings in {@code env} (SLUICE_*). */
  public static NodeProcess start(Http http, Path dir, String name, String heap, Map<String, String> env) {
    int proxy = Ports.free();
    int admin = Ports.free();
    try {
      Path empty = dir.resolve(name + "-settings.yaml");
      Files.writeString(empty, "{}\n");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      // C1 alone (QUICK_JVM's JIT), the default collector: the bounded-heap tests measure the heap users run.
      List<String> command = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError",
          QUICK_JVM.get(0)));
      command.addAll(HAZELCAST_FLAGS);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.Sluice", "run"));
      Path log = dir.resolve(name + ".log");
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
      Map<String, String> all = new HashMap<>(Map.of("SLUICE_CONFIG", empty.toString(),
          "SLUICE_PROXY_HOST", "127.0.0.1", "SLUICE_PROXY_PORT", "" + proxy, "SLUICE_ADMIN_PORT", "" + admin,
          "SLUICE_PROXY_INSTANCES", "1", "SLUICE_ADMIN_TOKEN", TOKEN, "SLUICE_NODE_NAME", name,
          "SLUICE_LOG_FORMAT", "text", "SLUICE_STREAM_ENABLED", "false"));
      all.put("SLUICE_PROXY_TLS_PORT", "0");
      all.putAll(env);
      pb.environment().putAll(all);
      return new NodeProcess(pb.start(), log, http, proxy, admin);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** Waits for the process to end (after a start that must fail); -1 if it did not within the time. */
  public int exitCode(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
  }

  /** An admin call with the operator token; status -1 while nothing listens. */
  public Http.Reply admin(HttpMethod method, String uri, Object body) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(adminPort).setURI(uri)
        .putHeader("Authorization", "Bearer " + TOKEN);
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    try {
      return http.call(o, body == null ? null : Buffer.buffer(body.toString()));
    } catch (RuntimeException notListening) {
      return new Http.Reply(-1, io.vertx.core.MultiMap.caseInsensitiveMultiMap(), Buffer.buffer());
    }
  }

  public int adminStatus(String uri) {
    return admin(HttpMethod.GET, uri, null).status();
  }

  public JsonObject adminJson(String uri) {
    return new JsonObject(admin(HttpMethod.GET, uri, null).text());
  }

  /** A proxy call with the given request headers (name, value, ...); status -1 while nothing listens. */
  public Http.Reply proxy(String uri, String... headers) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(proxyPort).setURI(uri);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      o.putHeader(headers[i], headers[i + 1]);
    }
    try {
      return http.call(o);
    } catch (RuntimeException notListening) {
      return new Http.Reply(-1, io.vertx.core.MultiMap.caseInsensitiveMultiMap(), Buffer.buffer());
    }
  }

  /** The last {@code chars} characters of the node's log (for failure messages). */
  public String log(int chars) {
    try {
      String all = Files.readString(log);
      return all.substring(Math.max(0, all.length() - chars));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** SIGKILL: nothing runs, no hook, sockets die with the process. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
