package io.sluice.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.settings.NodeSettings;
import io.sluice.stream.export.AccessExporter;
import io.sluice.stream.serve.Cursors;
import io.sluice.stream.serve.StreamFeed;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access stream of one node, outside its verticles: the in-process broker when no bootstrap servers
 * are configured, the exporter (proxy to Kafka) and the feed (Kafka to subscribers). Started before the
 * listeners open, closed after the proxy has drained (its last records are exported or spooled first).
 */
public final class AccessStream implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AccessStream.class);

  private final EmbeddedKafka broker;
  private final AccessExporter exporter;
  private final StreamFeed feed;
  private final String bootstrap;

  private AccessStream(EmbeddedKafka broker, String bootstrap, AccessExporter exporter, StreamFeed feed) {
    this.broker = broker;
    this.bootstrap = bootstrap;
    this.exporter = exporter;
    this.feed = feed;
  }

  /** Blocking (the in-process broker takes a few seconds): call it from the launcher's thread, never a loop. */
  public static AccessStream start(NodeSettings settings, MeterRegistry registry) {
    NodeSettings.Kafka k = settings.kafka();
    EmbeddedKafka broker = k.embedded() ? EmbeddedKafka.start(Path.of(k.dataDir()), k.embeddedPort()) : null;
    String bootstrap = broker != null ? broker.bootstrap() : k.bootstrap();
    if (settings.stream().cursorSecret().isEmpty()) {
      LOG.warn("stream.cursor_secret is empty: cursors are signed with a fixed development key; set"
          + " SLUICE_STREAM_CURSOR_SECRET (the same on every node) before real tenants connect");
    }
    AccessExporter exporter = null;
    try {
      exporter = new AccessExporter(k, bootstrap, settings.spool(), registry);
      StreamFeed feed = new StreamFeed(bootstrap, k.topic(), settings.stream().bufferRecords(),
          new Cursors(settings.stream().cursorSecret()), registry);
      LOG.info("access stream: records to {} topic {}, spool in {}", broker != null ? "in-process Kafka" : bootstrap,
          k.topic(), settings.spool().dir());
      return new AccessStream(broker, bootstrap, exporter, feed);
    } catch (RuntimeException e) {
      if (exporter != null) {
        exporter.close();
      }
      if (broker != null) {
        broker.close();
      }
      throw e;
    }
  }

  public AccessExporter exporter() {
    return exporter;
  }

  public StreamFeed feed() {
    return feed;
  }

  public String bootstrap() {
    return bootstrap;
  }

  /** Blocking: exports (or spools) what is left, stops the readers, then the in-process broker. */
  @Override
  public void close() {
    exporter.close();
    feed.close();
    if (broker != null) {
      broker.close();
    }
  }
}
