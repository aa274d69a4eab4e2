package io.sluice.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.sluice.settings.NodeSettings;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/** Applies log.level and log.format once the settings are known (JSON lines by default). */
public final class Logging {

  private Logging() {}

  public static void configure(NodeSettings.Log log) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    Encoder<ILoggingEvent> encoder;
    if ("text".equals(log.format())) {
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{20} %msg %mdc%n");
      encoder = text;
    } else {
      encoder = new LogstashEncoder();
    }
    encoder.setContext(context);
    encoder.start();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("console");
    console.setEncoder(encoder);
    VertxGaugeRegistrations quiet = new VertxGaugeRegistrations();
    quiet.setContext(context);
    quiet.start();
    console.addFilter(quiet);
    console.start();
    root.addAppender(console);
    root.setLevel(Level.toLevel(log.level(), Level.INFO));
    context.getLogger("com.hazelcast").setLevel(Level.WARN);
    context.getLogger("org.apache.kafka").setLevel(Level.WARN);
    // While Kafka is unreachable its client warns about every reconnection, five lines a second (18,000 an hour);
    // the node says it once itself ("Kafka is not taking access records"), and the kafka check is DOWN.
    context.getLogger("org.apache.kafka.clients.NetworkClient").setLevel(Level.ERROR);
    // The in-process broker logs hundreds of INFO lines at start (kafka.*, state.change.logger).
    context.getLogger("kafka").setLevel(Level.WARN);
    context.getLogger("state.change.logger").setLevel(Level.WARN);
    context.getLogger("io.netty").setLevel(Level.INFO);
    quietPeerDrivenLines();
    context.getLogger("org.flywaydb").setLevel(Level.WARN);
  }

  /**
   * Loggers that write a line for each frame a client chooses to send, raised to WARN so that a client cannot
   * write the node's log at will: Netty's HTTP/2 decoder logs at INFO every DATA or HEADERS frame that arrives on
   * a stream it has just reset (15,000 one-byte DATA frames after a refused request made 15,000 lines of about
   * 330 bytes). It logs nothing else.
   */
  public static void quietPeerDrivenLines() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger("io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder").setLevel(Level.WARN);
  }
}
