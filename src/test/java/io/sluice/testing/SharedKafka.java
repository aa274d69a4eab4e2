package io.sluice.testing;

import io.sluice.stream.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One real Kafka broker (KRaft, in this JVM, free port, temporary data) shared by every test class of the
 * run that needs Kafka but does not stop it; each test uses a topic of its own. Started on first use
 * (about 3 s), stopped when the JVM exits.
 */
public final class SharedKafka {

  private static EmbeddedKafka broker;

  private SharedKafka() {}

  public static synchronized String bootstrap() {
    if (broker == null) {
      broker = start();
      EmbeddedKafka b = broker;
      Runtime.getRuntime().addShutdownHook(new Thread(b::close));
    }
    return broker.bootstrap();
  }

  /** A broker of its own (for tests that stop it), on a free port with a temporary data directory. */
  public static EmbeddedKafka start() {
    try {
      Path dir = Files.createTempDirectory("sluice-kafka-test");
      return EmbeddedKafka.start(dir, 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
