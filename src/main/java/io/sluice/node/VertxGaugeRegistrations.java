package io.sluice.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops Micrometer's WARN "This Gauge has been already registered (MeterId{name='vertx....'})" that every node
 * start logged ({@code vertx.sql.processing.pending} of the config-store pool and of the sync leader's session).
 * vertx-micrometer 5.0.8 makes client metrics per PostgreSQL connection, and each registers the same gauge again;
 * it then shares one counter among them by meter id itself (LongGaugeBuilder), so the second registration loses
 * nothing. Only Vert.x's own gauges are spared: a gauge of Sluice's registered twice still warns, as it should
 * (STACK-NOTES: a gauge bound to an object a rebuild replaces goes stale).
 */
public final class VertxGaugeRegistrations extends TurboFilter {

  private static final String REGISTRY_LOGGER = "io.micrometer.core.instrument.MeterRegistry";
  private static final String VERTX_GAUGE = "This Gauge has been already registered (MeterId{name='vertx.";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    return format != null && level == Level.WARN && logger.getName().equals(REGISTRY_LOGGER)
        && format.startsWith(VERTX_GAUGE) ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}
