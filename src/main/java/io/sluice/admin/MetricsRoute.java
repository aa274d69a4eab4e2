package io.sluice.admin;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code GET /metrics}: the Prometheus exposition of the node's registry, all of it, or with {@code name[]} (repeated)
 * only the families named. Vert.x's own scraping handler ignores {@code name[]}, so a scrape configuration that asked
 * for one series got some 7,000 lines. A name is a family as exposed, or one of its samples as Prometheus's own
 * client reads {@code name[]}: {@code sluice_requests_total}, {@code sluice_requests} (the family) and
 * {@code sluice_request_duration_seconds_bucket} each select their family. A name of nothing selects nothing.
 */
final class MetricsRoute {

  static final String NAMES = "name[]";
  /** The text format Vert.x's scraping handler served, which every Prometheus reads. */
  private static final String TEXT_004 = "text/plain; version=0.0.4; charset=utf-8";
  /** What the Prometheus exposition appends to a family's name for its samples. */
  private static final List<String> SAMPLE_SUFFIXES = List.of("_total", "_created", "_bucket", "_count", "_sum",
      "_info", "_gcount", "_gsum");

  private MetricsRoute() {}

  static void handle(RoutingContext rc, String registryName) {
    MeterRegistry registry = BackendRegistries.getNow(registryName);
    if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
      rc.response().setStatusCode(500).end("no Prometheus registry named " + registryName);
      return;
    }
    List<String> names = rc.queryParams().getAll(NAMES);
    // On a worker thread: a registry of many series takes a while to write out, and on the admin event loop it held
    // /health/ready (and every other admin request) that long (an outside tester: probes timed out during scrapes).
    rc.vertx().executeBlocking(() -> names.isEmpty() ? prometheus.scrape(TEXT_004)
        : prometheus.scrape(TEXT_004, families(names)), false).onComplete(ar -> {
          if (ar.succeeded()) {
            rc.response().putHeader("Content-Type", TEXT_004).end(ar.result());
          } else {
            LOG.warn("GET /metrics: the scrape failed: {}", ar.cause().toString());
            rc.fail(ar.cause());
          }
        });
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MetricsRoute.class);

  /**
   * The family names (Micrometer's registry filters on them: {@code sluice_requests} for the counter exposed as
   * {@code sluice_requests_total}) that {@code names} select.
   */
  static Set<String> families(List<String> names) {
    Set<String> families = new HashSet<>(names);
    for (String name : names) {
      for (String suffix : SAMPLE_SUFFIXES) {
        if (name.endsWith(suffix) && name.length() > suffix.length()) {
          families.add(name.substring(0, name.length() - suffix.length()));
        }
      }
    }
    return families;
  }
}
