package io.sluice.testing;

import io.sluice.node.SluiceNode;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A real Sluice node for tests: free ports, one proxy event loop, the given routes file content. Settings
 * go through the same loader as production, so overrides use the SLUICE_* names.
 */
public final class TestNode implements AutoCloseable {

  private final SluiceNode node;
  private final Path dataDir;

  private TestNode(SluiceNode node, Path dataDir) {
    this.node = node;
    this.dataDir = dataDir;
  }

  public static TestNode start(String routesYaml) {
    return start(routesYaml, Map.of());
  }

  public static TestNode start(String routesYaml, Map<String, String> env) {
    return start(routesYaml, env, null);
  }

  /** A node whose consumer directory reads through to {@code consumers} (null: none). */
  public static TestNode start(String routesYaml, Map<String, String> env, SluiceNode.ConsumerSource consumers) {
    return start(routesYaml, env, consumers, UnaryOperator.identity());
  }

  /**
   * A node whose settings, once loaded and checked, {@code edit} changes: a value the loader refuses, to test a
   * guard behind it (see {@link #unmakeableRedisClient()}).
   */
  public static TestNode startEdited(String routesYaml, Map<String, String> env, UnaryOperator<NodeSettings> edit) {
    return start(routesYaml, env, null, edit);
  }

  /**
   * A redis.url from which the Vert.x client cannot be made (its database is not a number): the settings refuse
   * it, so it only gets past them this way.
   */
  public static UnaryOperator<NodeSettings> unmakeableRedisClient() {
    return s -> new NodeSettings(s.node(), s.proxy(), s.upstream(), s.admin(), s.pg(), s.keys(),
        new NodeSettings.Redis("redis://127.0.0.1:6379/notanumber", s.redis().timeoutMs(), s.redis().retryMs()),
        s.cluster(), s.sync(), s.consumers(), s.routesFile(), s.log(), s.kafka(), s.spool(), s.stream(), s.tls(),
        s.discovery(), s.tracing());
  }

  private static TestNode start(String routesYaml, Map<String, String> env, SluiceNode.ConsumerSource consumers,
                                UnaryOperator<NodeSettings> edit) {
    try {
      Path routes = Files.createTempFile("routes", ".yaml");
      Files.writeString(routes, routesYaml);
      routes.toFile().deleteOnExit();
      Map<String, String> all = new HashMap<>();
      all.put("SLUICE_PROXY_PORT", "0");
      all.put("SLUICE_PROXY_HOST", "127.0.0.1");
      all.put("SLUICE_PROXY_TLS_PORT", "0");
      all.put("SLUICE_ADMIN_PORT", "0");
      all.put("SLUICE_PROXY_INSTANCES", "1");
      all.put("SLUICE_ROUTES_FILE", routes.toString());
      all.put("SLUICE_PROXY_DRAIN_TIMEOUT_MS", "5000");
      // The access stream is off unless a test turns it on (StreamFixture does, with a shared broker).
      all.put("SLUICE_STREAM_ENABLED", "false");
      all.put("SLUICE_STREAM_PORT", "0");
      // The node's own files (its configuration snapshot) in a directory of its own, not /tmp/sluice.
      Path dataDir = env.containsKey("SLUICE_NODE_DATA_DIR") ? null : Files.createTempDirectory("sluice-node");
      if (dataDir != null) {
        all.put("SLUICE_NODE_DATA_DIR", dataDir.toString());
      }
      all.putAll(env);
      NodeSettings settings = edit.apply(new SettingsLoader().load(null, false, all));
      return new TestNode((consumers == null ? SluiceNode.start(settings)
          : SluiceNode.start(settings, consumers)).await(), dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public SluiceNode node() {
    return node;
  }

  public int proxyPort() {
    return node.proxyPort();
  }

  public int proxyTlsPort() {
    return node.proxyTlsPort();
  }

  public int streamPort() {
    return node.streamPort();
  }

  public int adminPort() {
    return node.adminPort();
  }

  @Override
  public void close() {
    node.stop();
    TempDirs.delete(dataDir); // the node's own, not one a test gave it (to start another node from)
  }

  /** A one-service, one-route configuration: route {@code /} prefix to the given target ports. */
  public static String simpleRoutes(String serviceExtra, int... ports) {
    StringBuilder b = new StringBuilder("format_version: 1\nservices:\n  - name: svc\n    targets:\n");
    for (int p : ports) {
      b.append("      - address: 127.0.0.1:").append(p).append('\n');
    }
    if (serviceExtra != null && !serviceExtra.isBlank()) {
      serviceExtra.lines().forEach(l -> b.append("    ").append(l).append('\n'));
    }
    b.append("routes:\n  - name: all\n    service: svc\n    paths: [\"/\"]\n");
    return b.toString();
  }
}
