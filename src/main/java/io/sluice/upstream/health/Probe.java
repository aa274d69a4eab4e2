package io.sluice.upstream.health;

import io.sluice.config.ServiceDef;
import io.sluice.upstream.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The probes of one target on one node: one at a time, each on a new connection of the checker's own clients
 * (never a pooled proxy connection, so a probe sees what a new connection would), its result recorded in the
 * target's {@link io.sluice.upstream.ActiveHealth}. Confined to the checker's context.
 */
final class Probe {

  private static final Logger LOG = LoggerFactory.getLogger(Probe.class);

  private final Vertx vertx;
  private final String service;
  private final Target target;
  private final ServiceDef.HealthCheck check;
  private final HttpClient http;
  private final NetClient tcp;
  private final Jitter jitter;
  private final HealthMeters meters;
  private long timer = -1;
  private boolean stopped;

  Probe(Vertx vertx, String service, Target target, ServiceDef.HealthCheck check, HttpClient http, NetClient tcp,
        Jitter jitter, HealthMeters meters) {
    this.vertx = vertx;
    this.service = service;
    this.target = target;
    this.check = check;
    this.http = http;
    this.tcp = tcp;
    this.jitter = jitter;
    this.meters = meters;
  }

  void start() {
    timer = vertx.setTimer(jitter.first(check.intervalMs()), id -> run());
  }

  void stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void run() {
    timer = -1;
    if (stopped) {
      return;
    }
    send().timeout(check.timeoutMs(), TimeUnit.MILLISECONDS).onComplete(ar -> {
      boolean ok = ar.succeeded() && (check.tcp() || check.expects(ar.result()));
      String detail = ar.succeeded() ? (check.tcp() ? "connected" : "status " + ar.result())
          : String.valueOf(ar.cause().getMessage());
      meters.probed(service, ok);
      if (!stopped && target.active().record(ok, detail, System.nanoTime())) {
        if (ok) {
          LOG.info("service {} target {} back in service after {} good probes", service, target, check.healthyThreshold());
        } else {
          LOG.warn("service {} target {} out of service after {} failed probes (last: {})", service, target,
              check.unhealthyThreshold(), detail);
        }
      }
      if (!stopped) {
        timer = vertx.setTimer(jitter.next(check.intervalMs()), id -> run());
      }
    });
  }

  /** One probe: the status of a GET (http) or 0 once connected (tcp). */
  private Future<Integer> send() {
    if (check.tcp()) {
      return tcp.connect(target.socketAddress()).map(socket -> {
        socket.close();
        return 0;
      });
    }
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setServer(target.socketAddress())
        // The Host: the check's, else the target's as an authority writes it (an IPv6 literal in brackets)
        .setHost(check.host() != null ? check.host() : target.authorityHost()).setPort(target.port())
        .setURI(check.path())
        .setConnectTimeout(check.timeoutMs()).setIdleTimeout(check.timeoutMs())
        .putHeader("User-Agent", "sluice-health-check");
    return http.request(options).compose(req -> req.send()).compose(Probe::drain);
  }

  /** Reads the answer to its end (discarding the body: memory stays bounded) and gives its status. */
  private static Future<Integer> drain(HttpClientResponse resp) {
    resp.handler(b -> { });
    return resp.end().map(v -> resp.statusCode());
  }
}
