package io.sluice.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The log events of some loggers while a test runs (try-with-resources), optionally at a more verbose level
 * than the configuration's, which is restored on close.
 */
public final class CapturedLogs implements AutoCloseable {

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final List<Logger> loggers = new ArrayList<>();
  private final List<Level> levels = new ArrayList<>();

  private CapturedLogs(Level level, String... names) {
    appender.start();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    for (String name : names) {
      Logger logger = context.getLogger(name);
      loggers.add(logger);
      levels.add(logger.getLevel());
      if (level != null) {
        logger.setLevel(level);
      }
      logger.addAppender(appender);
    }
  }

  /** Everything logged, at the configured levels. */
  public static CapturedLogs all() {
    return new CapturedLogs(null, org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /** What these loggers log at {@code level} or above. */
  public static CapturedLogs of(Level level, String... loggers) {
    return new CapturedLogs(level, loggers);
  }

  public List<ILoggingEvent> events() {
    return List.copyOf(appender.list);
  }

  /** "logger: message" of each event at {@code level} or above, in order. */
  public List<String> atLeast(Level level) {
    return events().stream().filter(e -> e.getLevel().isGreaterOrEqual(level))
        .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
  }

  @Override
  public void close() {
    for (int i = 0; i < loggers.size(); i++) {
      loggers.get(i).detachAppender(appender);
      loggers.get(i).setLevel(levels.get(i));
    }
  }
}
