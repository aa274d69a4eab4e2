package io.sluice.admin;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.backends.BackendRegistries;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;

/**
 * {@code GET /metrics}: the Prometheus exposition of the node's registry, all of it, or with {@code name[]} (repeated)
 * only the families named. Vert.x's own scraping handler ignores {@code name[]}, so a scrape configuration that asked
 * for one series got some 7,000 lines. A name is a family as exposed, or one of its samples as Prometheus's own
 * client reads {@code name[]}: {@code sluice_requests_total}, {@code sluice_requests} (the family) and
 * {@code sluice_request_duration_seconds_bucket} each select their family. A name of nothing selects nothing.
 *
 * <p>The scrape runs on a worker thread, and scrapes asked for while the same one (same registry, same names) is
 * under way share its answer: ten Prometheus servers scraping at once cost one scrape, not ten, of the node's two
 * cores. A client that accepts gzip (Prometheus does) gets the answer gzipped, also on the worker, once per shared
 * scrape: about a tenth of the bytes.
 */
final class MetricsRoute implements io.vertx.core.Handler<RoutingContext> {

  static final String NAMES = "name[]";
  /** The text format Vert.x's scraping handler served, which every Prometheus reads. */
  private static final String TEXT_004 = "text/plain; version=0.0.4; charset=utf-8";
  /** What the Prometheus exposition appends to a family's name for its samples. */
  private static final List<String> SAMPLE_SUFFIXES = List.of("_total", "_created", "_bucket", "_count", "_sum",
      "_info", "_gcount", "_gsum");
  /** The registry scraped. */
  private final String registryName;
  /**
   * The scrapes under way, by names: this listener's own (a map shared by every node of a JVM kept a finished scrape
   * of a node closed meanwhile, whose context never ran the removal, and served it to the next node of that name).
   */
  private final Map<String, Future<Scrape>> running = new ConcurrentHashMap<>();

  MetricsRoute(String registryName) {
    this.registryName = registryName;
  }

  /** One scrape's text, and its gzipped form once a client asked for it. */
  private static final class Scrape {
    private final Buffer text;
    private Buffer gzipped;

    Scrape(String text) {
      this.text = Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
    }

    synchronized Buffer gzipped() {
      if (gzipped == null) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, text.length() / 8));
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
          gz.write(text.getBytes());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        gzipped = Buffer.buffer(out.toByteArray());
      }
      return gzipped;
    }
  }

  @Override
  public void handle(RoutingContext rc) {
    MeterRegistry registry = BackendRegistries.getNow(registryName);
    if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
      rc.response().setStatusCode(500).end("no Prometheus registry named " + registryName);
      return;
    }
    List<String> names = rc.queryParams().getAll(NAMES);
    boolean gzip = acceptsGzip(rc.request().getHeader(HttpHeaders.ACCEPT_ENCODING));
    String key = String.join("\n", new TreeSet<>(names));
    // On a worker thread: a registry of many series takes a while to write out, and on the admin event loop it held
    // /health/ready (and every other admin request) that long (an outside tester: probes timed out during scrapes).
    // Shared only while under way: a finished one is never answered again, whether or not its removal ran yet.
    Future<Scrape> scrape = running.compute(key, (k, under) -> under != null && !under.isComplete() ? under
        : rc.vertx().executeBlocking(() -> new Scrape(names.isEmpty() ? prometheus.scrape(TEXT_004)
            : prometheus.scrape(TEXT_004, families(names))), false));
    scrape.onComplete(ar -> running.remove(key, scrape));
    scrape.compose(s -> gzip ? rc.vertx().executeBlocking(s::gzipped, false) : Future.succeededFuture(s.text))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            rc.response().putHeader(HttpHeaders.CONTENT_TYPE, TEXT_004).putHeader(HttpHeaders.VARY, "Accept-Encoding");
            if (gzip) {
              rc.response().putHeader(HttpHeaders.CONTENT_ENCODING, "gzip");
            }
            writeInChunks(rc.response(), ar.result());
          } else {
            LOG.warn("GET /metrics: the scrape failed: {}", ar.cause().toString());
            rc.fail(ar.cause());
          }
        });
  }

  /** The piece of an answer handed to the connection at a time. */
  static final int CHUNK = 64 * 1024;

  /**
   * Writes {@code body} (a shared scrape's, tens of MB at thousands of called routes) a chunk at a time, as the
   * connection takes it: written whole, each answer was copied whole into direct memory, and twenty concurrent
   * scrapes of a 23.5 MB registry (an outside tester) exhausted it, blocking the admin event loop 8 s in the
   * allocation and leaving half of the answers without a body. Now an answer holds at most a write queue's worth of
   * direct memory; the bytes themselves are the one shared scrape's.
   */
  static void writeInChunks(HttpServerResponse response, Buffer body) {
    response.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(body.length()));
    writeFrom(response, body, 0);
  }

  private static void writeFrom(HttpServerResponse response, Buffer body, int from) {
    int at = from;
    while (at < body.length() && !response.writeQueueFull()) {
      int end = Math.min(body.length(), at + CHUNK);
      response.write(body.slice(at, end));
      at = end;
    }
    if (at >= body.length()) {
      response.end();
      return;
    }
    int next = at;
    response.drainHandler(v -> writeFrom(response, body, next));
  }

  /** Whether an Accept-Encoding value names gzip (or *) with a weight above 0. */
  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    for (String part : acceptEncoding.split(",")) {
      String[] p = part.split(";");
      String coding = p[0].trim().toLowerCase(Locale.ROOT);
      if (!coding.equals("gzip") && !coding.equals("x-gzip") && !coding.equals("*")) {
        continue;
      }
      boolean refused = false;
      for (int i = 1; i < p.length; i++) {
        String param = p[i].trim().toLowerCase(Locale.ROOT);
        if (param.startsWith("q=")) {
          try {
            refused = Double.parseDouble(param.substring(2).trim()) <= 0;
          } catch (NumberFormatException e) {
            refused = true;
          }
        }
      }
      if (!refused) {
        return true;
      }
    }
    return false;
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
