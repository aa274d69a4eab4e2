package io.sluice.testing;

import io.sluice.stream.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;

/**
 * A real Kafka broker in a JVM of its own (the test classpath's {@link EmbeddedKafka} main), so that a test
 * can freeze it (SIGSTOP) or kill it with -9 as an outage really happens, and start it again on the same
 * ports and data.
 */
public final class KafkaProcess implements AutoCloseable {

  /**
   * A killed broker's registration outlives it in the metadata log until its session expires, and the restarted
   * broker is refused (DUPLICATE_BROKER_REGISTRATION) until then: Kafka's 9 s default was 9 s of every restart
   * after a kill. 3 s is still six heartbeats of a live broker.
   */
  private static final List<String> BROKER_PROPERTIES =
      List.of("broker.session.timeout.ms=3000", "broker.heartbeat.interval.ms=500");

  private final Path dir;
  private final int port;
  private final int controllerPort;
  private Process process;
  private boolean paused;

  private KafkaProcess(Path dir, int port, int controllerPort) {
    this.dir = dir;
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /** Starts a broker on free ports with a temporary data directory; returns once it serves. */
  public static KafkaProcess start() {
    try {
      KafkaProcess k = new KafkaProcess(Files.createTempDirectory("sluice-kafka-proc"), Ports.free(),
          Ports.free());
      k.restart();
      return k;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String bootstrap() {
    return "127.0.0.1:" + port;
  }

  /** (Re)starts the broker process on the same ports and data; blocking until it prints READY. */
  public void restart() {
    try {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Path log = dir.resolve("broker.log");
      List<String> command = new ArrayList<>(List.of(java, "-Xmx384m"));
      command.addAll(NodeProcess.QUICK_JVM);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"),
          EmbeddedKafka.class.getName(), dir.resolve("data").toString(), "" + port, "" + controllerPort));
      command.addAll(BROKER_PROPERTIES);
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      long before = Files.exists(log) ? Files.size(log) : 0;
      process = pb.start();
      paused = false;
      long deadline = System.currentTimeMillis() + 60_000;
      while (System.currentTimeMillis() < deadline) {
        if (Files.exists(log) && new String(Files.readAllBytes(log), StandardCharsets.UTF_8).substring((int) before)
            .contains("READY ")) {
          return;
        }
        if (!process.isAlive()) {
          throw new IllegalStateException("broker exited: " + Files.readString(log));
        }
        Thread.sleep(100);
      }
      throw new IllegalStateException("broker not ready within 60 s");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGSTOP: the broker freezes with its sockets open (requests are taken by the kernel, not answered). */
  public void pause() {
    signal("-STOP");
    paused = true;
  }

  /** SIGCONT: the frozen broker runs again, starting with whatever it had received meanwhile. */
  public void resume() {
    signal("-CONT");
    paused = false;
  }

  /** Whatever a test left it in (killed, frozen), the broker serves again: for a broker shared by tests. */
  public void ensureServing() {
    if (process == null || !process.isAlive()) {
      restart();
    } else if (paused) {
      resume();
    }
  }

  /**
   * A produce quota on a client id (Kafka's own throttling: the broker delays its answers past the rate), or
   * none with {@code bytesPerSecond} null. Kept in the broker's metadata, so it outlives a restart.
   */
  public void throttleProducer(String clientId, Double bytesPerSecond) {
    ClientQuotaEntity entity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, clientId));
    ClientQuotaAlteration.Op op = new ClientQuotaAlteration.Op("producer_byte_rate", bytesPerSecond);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))) {
      admin.alterClientQuotas(List.of(new ClientQuotaAlteration(entity, List.of(op)))).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("quota on " + clientId + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** kill -9, as a crash. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void signal(String sig) {
    try {
      new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start().waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      resume();
      kill();
    }
    TempDirs.delete(dir);
  }
}
