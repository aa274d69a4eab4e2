package io.sluice.stream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one) inside this JVM, so that a node
 * without {@code kafka.bootstrap} (and every test) has the access-record log with nothing installed. Its
 * data stays in the given directory across restarts, so cursors stay valid.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  /** A fixed cluster id: the data directory is formatted once and reused across restarts. */
  private static final String CLUSTER_ID = "c2x1aWNlLWFjY2Vzcy0x";

  private final KafkaRaftServer server;
  private final int port;
  private final int controllerPort;
  private final Path dataDir;

  private EmbeddedKafka(KafkaRaftServer server, int port, int controllerPort, Path dataDir) {
    this.server = server;
    this.port = port;
    this.controllerPort = controllerPort;
    this.dataDir = dataDir;
  }

  /** Formats {@code dataDir} if needed and starts the broker on 127.0.0.1:{@code port} (0: a free port). */
  public static EmbeddedKafka start(Path dataDir, int port) {
    return start(dataDir, port, 0);
  }

  /** As {@link #start(Path, int)}, with the controller's port too (0: a free one); a restart can reuse both. */
  public static EmbeddedKafka start(Path dataDir, int port, int controllerPortWanted) {
    return start(dataDir, port, controllerPortWanted, Map.of());
  }

  /** As {@link #start(Path, int, int)}, with broker properties that replace or add to the ones set here. */
  public static EmbeddedKafka start(Path dataDir, int port, int controllerPortWanted, Map<String, String> overrides) {
    try {
      Files.createDirectories(dataDir);
      int clientPort = port == 0 ? freePort() : port;
      int controllerPort = controllerPortWanted == 0 ? freePort() : controllerPortWanted;
      String dir = dataDir.toAbsolutePath().toString();
      new Formatter().setNodeId(1).setClusterId(CLUSTER_ID).setControllerListenerName("CONTROLLER")
          .setMetadataLogDirectory(dir).addDirectory(dir).setIgnoreFormatted(true)
          .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream())).run();
      Properties p = new Properties();
      p.put("process.roles", "broker,controller");
      p.put("node.id", "1");
      p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
      p.put("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
      p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
      p.put("controller.listener.names", "CONTROLLER");
      p.put("inter.broker.listener.name", "PLAINTEXT");
      p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.put("log.dirs", dir);
      p.put("offsets.topic.replication.factor", "1");
      p.put("transaction.state.log.replication.factor", "1");
      p.put("transaction.state.log.min.isr", "1");
      p.put("group.initial.rebalance.delay.ms", "0");
      // The cleaner's default 128 MiB dedupe buffer is heap the gateway needs more; 4 MiB is plenty here.
      p.put("log.cleaner.dedupe.buffer.size", "4194304");
      p.put("auto.create.topics.enable", "false");
      p.putAll(overrides);
      KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p), Time.SYSTEM);
      server.startup();
      LOG.info("in-process Kafka broker on 127.0.0.1:{} (data in {})", clientPort, dir);
      return new EmbeddedKafka(server, clientPort, controllerPort, dataDir);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the in-process Kafka broker in " + dataDir + ": " + e, e);
    }
  }

  public String bootstrap() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public int controllerPort() {
    return controllerPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Stops the broker and waits for it (blocking; a few seconds). */
  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }

  /**
   * A broker in a JVM of its own (tests that freeze it with SIGSTOP or kill it, bench/stream.sh):
   * {@code EmbeddedKafka DATA_DIR PORT [CONTROLLER_PORT [NAME=VALUE...]]}, the last being broker properties.
   * Prints {@code READY host:port} once it serves, and runs until killed (SIGTERM shuts it down cleanly).
   */
  public static void main(String[] args) throws InterruptedException {
    if (args.length < 2) {
      System.err.println("usage: EmbeddedKafka DATA_DIR PORT [CONTROLLER_PORT [NAME=VALUE...]]");
      System.exit(2);
    }
    Map<String, String> overrides = new HashMap<>();
    for (int i = 3; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      overrides.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    int controllerPort = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    EmbeddedKafka k = start(Path.of(args[0]), Integer.parseInt(args[1]), controllerPort, overrides);
    Runtime.getRuntime().addShutdownHook(new Thread(k::close));
    System.out.println("READY " + k.bootstrap() + " controller " + k.controllerPort());
    System.out.flush();
    Thread.currentThread().join();
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
