package io.sluice.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops Micrometer's WARN "This Gauge has been already registered (MeterId{name='vertx....'})" that every node
 * start logged ({@code vertx.sql.processing.pending} of the config-store pool and of the sync leader's session).
 * vertx-micrometer 5.0.8 makes client metrics per PostgreSQL connection, and each registers the same gauge again;
 * it then shares one counter among them by meter id itself (LongGaugeBuilder), so the second registration loses
 * nothing. Only Vert.x's own gauges are spared: a gauge of Sluice's registered twice still warns, as it should
 * (STACK-NOTES: a gauge bound to an object a rebuild replaces goes stale). A filter of the console appender, so it
 * reads only events that are logged: a logback TurboFilter runs on every logging call, disabled debug calls included
 * (an array of their arguments each), on the proxy's path too.
 */
public final class VertxGaugeRegistrations extends Filter<ILoggingEvent> {

  private static final String REGISTRY_LOGGER = "io.micrometer.core.instrument.MeterRegistry";
  private static final String VERTX_GAUGE = "This Gauge has been already registered (MeterId{name='vertx.";

  @Override
  public FilterReply decide(ILoggingEvent e) {
    String message = e.getMessage();
    return message != null && e.getLevel() == Level.WARN && REGISTRY_LOGGER.equals(e.getLoggerName())
        && message.startsWith(VERTX_GAUGE) ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}
