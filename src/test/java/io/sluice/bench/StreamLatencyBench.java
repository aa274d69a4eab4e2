package io.sluice.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The stream benchmark's driver (bench/stream.sh runs it): requests at a fixed rate through a node, one
 * subscriber on the tenant's stream, and for each record the time from its request's completion (the
 * response's end, as this client sees it) to the record's arrival on the WebSocket. Both ends are in this
 * JVM, timed with one monotonic clock. The first warm-up seconds are left out. Prints one line of JSON.
 *
 * <pre>java -cp target/test-classes:target/sluice.jar io.sluice.bench.StreamLatencyBench \
 *   PROXY_PORT STREAM_PORT TOKEN RATE SECONDS WARMUP_SECONDS</pre>
 */
public final class StreamLatencyBench {

  public static void main(String[] args) throws Exception {
    int proxyPort = Integer.parseInt(args[0]);
    int streamPort = Integer.parseInt(args[1]);
    String token = args[2];
    int rate = Integer.parseInt(args[3]);
    int seconds = Integer.parseInt(args[4]);
    int warmup = Integer.parseInt(args[5]);
    Vertx vertx = Vertx.vertx();
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(64));
    WebSocketClient wsClient = vertx.createWebSocketClient();
    Map<String, Long> completed = new HashMap<>();
    Map<String, Long> arrived = new HashMap<>();
    long[] latencies = new long[rate * (seconds + warmup) + 1000];
    // Per second of completion: count and worst latency (in driver.log: where in the run the slow ones were).
    long[][] perSecond = new long[seconds + warmup + 5][2];
    int[] counts = new int[4]; // measured, sent, failed, records
    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch done = new CountDownLatch(1);

    vertx.runOnContext(v -> wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(streamPort)
        .setURI("/v1/stream?from=latest").addHeader("Authorization", "Bearer " + token)).onSuccess(ws -> {
          ws.textMessageHandler(text -> {
            long now = System.nanoTime();
            JsonObject rec = new JsonObject(text).getJsonObject("record");
            if (rec == null) {
              return;
            }
            counts[3]++;
            String id = rec.getString("request_id");
            Long c = completed.remove(id);
            if (c == null) {
              arrived.put(id, now); // the record beat the response's end to this client
            } else if (c >= measureFrom) {
              latencies[counts[0]++] = now - c;
              second(perSecond, c - start, now - c);
            }
          });
          // Give the subscription a moment to position itself at the end, then send at the fixed rate.
          vertx.setTimer(500, t -> {
            long[] seq = {0};
            long t0 = System.nanoTime();
            vertx.setPeriodic(1, p -> {
              long now = System.nanoTime();
              if (now >= end + (t0 - start)) {
                vertx.cancelTimer(p);
                vertx.setTimer(2000, x -> done.countDown());
                return;
              }
              long due = (now - t0) * rate / 1_000_000_000L;
              while (seq[0] < due) {
                String id = "bench-" + seq[0]++;
                counts[1]++;
                http.request(new RequestOptions().setHost("127.0.0.1").setPort(proxyPort).setURI("/bench")
                        .putHeader("X-Request-Id", id))
                    .compose(req -> req.send().compose(resp -> resp.end()))
                    .onComplete(ar -> {
                      long at = System.nanoTime();
                      if (ar.failed()) {
                        counts[2]++;
                        return;
                      }
                      Long a = arrived.remove(id);
                      if (a != null) {
                        if (at >= measureFrom) {
                          latencies[counts[0]++] = 0;
                        }
                      } else {
                        completed.put(id, at);
                      }
                    });
              }
            });
          });
        }).onFailure(err -> {
          System.err.println("stream bench: cannot subscribe: " + err.getMessage());
          done.countDown();
        }));
    done.await(seconds + warmup + 60, TimeUnit.SECONDS);
    StringBuilder bySecond = new StringBuilder("per second of completion (s: records, max ms):");
    for (int i = 0; i < perSecond.length; i++) {
      if (perSecond[i][0] > 0) {
        bySecond.append(' ').append(i).append(": ").append(perSecond[i][0]).append(", ")
            .append(perSecond[i][1] / 1_000_000).append(';');
      }
    }
    System.err.println(bySecond);
    long[] sorted = Arrays.copyOf(latencies, counts[0]);
    Arrays.sort(sorted);
    System.out.println(new JsonObject()
        .put("rate", rate).put("seconds", seconds)
        .put("sent", counts[1]).put("failed", counts[2]).put("records", counts[3]).put("measured", sorted.length)
        .put("not_arrived", completed.size())
        .put("p50_ms", pct(sorted, 0.50)).put("p99_ms", pct(sorted, 0.99)).put("max_ms", pct(sorted, 1.0))
        .encode());
    vertx.close();
  }

  private static void second(long[][] perSecond, long sinceStart, long latency) {
    int i = (int) Math.min(perSecond.length - 1, TimeUnit.NANOSECONDS.toSeconds(sinceStart));
    perSecond[i][0]++;
    perSecond[i][1] = Math.max(perSecond[i][1], latency);
  }

  private static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return -1;
    }
    int i = Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1);
    return Math.round(sorted[Math.max(0, i)] / 10_000.0) / 100.0;
  }
}
