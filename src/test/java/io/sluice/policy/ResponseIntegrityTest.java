package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The answer a client gets through a route with policies is the answer the upstream sent, byte for byte,
 * plus or minus exactly the headers the policies document: every policy on a route of its own and all of
 * them together, against the same upstream through a route without policies, for every method and body
 * shape (empty, one chunk, many chunks with a length, many chunks chunked; request bodies echoed the same
 * ways), and 64 MiB streamed both ways.
 */
class ResponseIntegrityTest {

  private static final String SECRET = "an-hs256-shared-secret-of-32-chars-or-more";
  private static final String ORIGIN = "https://app.example";
  private static final int PIECES = 8;
  private static final Set<String> RATE_LIMIT = Set.of("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset");
  private static final Set<String> CORS = Set.of("access-control-allow-origin", "vary");
  private static final Set<String> CACHE = Set.of("x-cache-status", "age");

  /** A route: its name (also its path prefix), its plugins, and the response headers its policies add. */
  private record Case(String route, List<JsonObject> plugins, Set<String> added) {}

  private static Vertx vertx;
  private static HttpServer upstream;
  private static Gateway gw;
  private static HttpClient client;
  private static final Map<String, Case> CASES = new LinkedHashMap<>();
  private static String key;
  private static String jwt;

  @BeforeAll
  static void start(org.junit.jupiter.api.TestInfo info) throws Exception {
    vertx = Vertx.vertx();
    upstream = vertx.createHttpServer().requestHandler(ResponseIntegrityTest::shaped);
    upstream.listen(0, "127.0.0.1").await();
    gw = new Gateway(vertx, Map.of(), upstream.actualPort());
    // The h2c subclass runs every case again with the client speaking HTTP/2 with prior knowledge.
    boolean h2c = info.getTestClass().map(ResponseIntegrityH2cTest.class::isAssignableFrom).orElse(false);
    client = vertx.createHttpClient(h2c ? Http.h2cOptions() : new HttpClientOptions(),
        new PoolOptions().setHttp1MaxSize(8).setHttp2MaxSize(2));

    JsonObject staff = gw.consumer("staff-member", "staff");
    key = gw.key(staff);
    gw.create("/consumers/" + staff.getString("id") + "/jwt", new JsonObject().put("issuer", "matrix-issuer")
        .put("algorithm", "HS256").put("secret", SECRET));
    jwt = hs256(new JsonObject().put("iss", "matrix-issuer")
        .put("exp", System.currentTimeMillis() / 1000 + 3600));

    JsonObject keyAuth = plugin("key-auth", new JsonObject());
    JsonObject rateLocal = plugin("rate-limiting", new JsonObject().put("minute", 1_000_000).put("limit_by", "ip"));
    JsonObject rateRedis = plugin("rate-limiting", new JsonObject().put("minute", 1_000_000).put("limit_by", "ip")
        .put("policy", "redis"));
    JsonObject acl = plugin("acl", new JsonObject().put("allow", new JsonArray().add("staff")));
    JsonObject cors = plugin("cors", new JsonObject().put("origins", new JsonArray().add(ORIGIN)));
    JsonObject correlation = plugin("correlation-id", new JsonObject().put("echo_downstream", true));
    JsonObject requestTransformer = plugin("request-transformer", new JsonObject().put("add",
        new JsonObject().put("headers", new JsonObject().put("X-Added-Upstream", "yes"))));
    JsonObject responseTransformer = plugin("response-transformer", new JsonObject().put("add",
        new JsonObject().put("headers", new JsonObject().put("X-Added-Downstream", "yes"))));
    JsonObject sizeLimit = plugin("request-size-limiting", new JsonObject().put("allowed_payload_size", 128));
    JsonObject ipRestriction = plugin("ip-restriction", new JsonObject().put("allow", new JsonArray().add("127.0.0.1")));
    JsonObject cache = plugin("proxy-cache", new JsonObject());

    add(new Case("plain", List.of(), Set.of()));
    add(new Case("key-auth", List.of(keyAuth), Set.of()));
    add(new Case("jwt", List.of(plugin("jwt", new JsonObject())), Set.of()));
    add(new Case("acl", List.of(keyAuth, acl), Set.of()));
    add(new Case("rate-local", List.of(rateLocal), RATE_LIMIT));
    add(new Case("rate-redis", List.of(rateRedis), RATE_LIMIT));
    add(new Case("cors", List.of(cors), CORS));
    add(new Case("correlation", List.of(correlation), Set.of("x-correlation-id")));
    add(new Case("request-transformer", List.of(requestTransformer), Set.of()));
    add(new Case("response-transformer", List.of(responseTransformer), Set.of("x-added-downstream")));
    add(new Case("size-limit", List.of(sizeLimit), Set.of()));
    add(new Case("ip-restriction", List.of(ipRestriction), Set.of()));
    add(new Case("proxy-cache", List.of(cache), CACHE));
    Set<String> all = new java.util.HashSet<>();
    all.addAll(RATE_LIMIT);
    all.addAll(CORS);
    all.addAll(CACHE);
    all.add("x-correlation-id");
    all.add("x-added-downstream");
    add(new Case("all", List.of(keyAuth, acl, rateRedis, cors, correlation, requestTransformer, responseTransformer,
        sizeLimit, ipRestriction, cache), all));
  }

  private static JsonObject plugin(String name, JsonObject config) {
    return new JsonObject().put("name", name).put("config", config);
  }

  private static void add(Case c) {
    gw.create("/routes", new JsonObject().put("name", c.route()).put("service", "svc")
        .put("paths", new JsonArray().add("/" + c.route())).put("strip_path", true));
    for (JsonObject p : c.plugins()) {
      gw.create("/plugins", p.copy().put("scope", "route").put("route", c.route()));
    }
    CASES.put(c.route(), c);
  }

  @AfterAll
  static void stop() {
    gw.close();
    upstream.close().await();
    vertx.close().await();
  }

  @Test
  void every_policy_passes_bodies_and_headers_of_every_shape_through_unchanged() throws Exception {
    List<String> failures = new ArrayList<>();
    List<String> responseShapes = List.of("len/0", "len/6400", "lenmany/26000/" + PIECES, "chunked/26000/" + PIECES,
        "chunked/0/0");
    for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.DELETE)) {
      for (String shape : responseShapes) {
        compareAll(method, "/" + shape, null, failures);
      }
    }
    // Request bodies, echoed by the upstream with the framing they came with.
    for (HttpMethod method : List.of(HttpMethod.POST, HttpMethod.PUT)) {
      for (Body body : List.of(new Body(0, 0, false), new Body(6400, 1, false), new Body(26000, PIECES, false),
          new Body(26000, PIECES, true))) {
        compareAll(method, "/echo", body, failures);
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " differences:\n" + String.join("\n", failures));
  }

  @Test
  void sixty_four_mebibytes_stream_through_every_policy_both_ways_intact() throws Exception {
    long size = 64L << 20;
    Digest expected = streamed("plain", HttpMethod.GET, "/len/" + size, null).await();
    assertEquals(size, expected.bytes());
    assertArrayEquals(pattern(size), expected.sha256(), "the upstream's own body (the test's reference)");
    for (String route : List.of("rate-redis", "correlation", "all")) {
      Digest got = streamed(route, HttpMethod.GET, "/len/" + size, null).await();
      assertEquals(200, got.status(), route);
      assertEquals(size, got.bytes(), route + ": bytes of the answer");
      assertArrayEquals(expected.sha256(), got.sha256(), route + ": the answer's body");
      Digest echoed = streamed(route, HttpMethod.POST, "/echo", size).await();
      assertEquals(200, echoed.status(), route);
      assertEquals(size, echoed.bytes(), route + ": bytes echoed");
      assertArrayEquals(expected.sha256(), echoed.sha256(), route + ": the echoed body");
    }
  }

  /** A request body: its size, the pieces it is written in, chunked or with a Content-Length. */
  private record Body(int size, int pieces, boolean chunked) {
    @Override
    public String toString() {
      return size + " bytes in " + pieces + (chunked ? " chunks (chunked)" : " writes (length)");
    }
  }

  private void compareAll(HttpMethod method, String path, Body body, List<String> failures) throws Exception {
    Http.Reply reference = send("plain", method, path, body).await();
    if (reference.status() != 200) {
      failures.add(method + " " + path + " " + body + ": the plain route answered " + reference.status());
      return;
    }
    for (Case c : CASES.values()) {
      if (c.route().equals("plain")) {
        continue;
      }
      int tries = c.added().contains("x-cache-status") && (method == HttpMethod.GET || method == HttpMethod.HEAD)
          ? 2 : 1; // a miss that stores, then a hit served from the store
      for (int i = 0; i < tries; i++) {
        String what = method + " /" + c.route() + path + (body == null ? "" : " " + body) + (i == 1 ? " (again)" : "");
        Http.Reply got = send(c.route(), method, path, body).await();
        Set<String> added = c.added();
        if (i == 1) {
          // A hit is served whole from the store: its length is known, so it may come with a Content-Length
          // where the upstream chunked (framing is per hop; the representation is the same).
          added = new java.util.HashSet<>(added);
          added.addAll(Set.of("transfer-encoding", "content-length"));
          String length = got.header("Content-Length");
          if (length != null && method != HttpMethod.HEAD && Integer.parseInt(length) != got.body().length()) {
            failures.add(what + ": Content-Length " + length + " but " + got.body().length() + " bytes");
          }
        }
        compare(what, reference, got, added, failures);
      }
    }
  }

  private static void compare(String what, Http.Reply expected, Http.Reply got, Set<String> added,
                              List<String> failures) {
    if (got.status() != expected.status()) {
      failures.add(what + ": status " + got.status() + " instead of " + expected.status() + ": " + got.text());
      return;
    }
    if (!java.util.Arrays.equals(expected.body().getBytes(), got.body().getBytes())) {
      failures.add(what + ": body of " + got.body().length() + " bytes instead of " + expected.body().length());
    }
    Map<String, List<String>> want = headers(expected);
    Map<String, List<String>> have = headers(got);
    if (have.remove("x-request-id") == null) {
      failures.add(what + ": no X-Request-Id");
    }
    want.remove("x-request-id");
    // Date is each answer's time (added by the gateway where the target sent none): there, not the same.
    if (want.remove("date") != null && have.remove("date") == null) {
      failures.add(what + ": no Date");
    }
    for (Map.Entry<String, List<String>> e : want.entrySet()) {
      if (!added.contains(e.getKey()) && !e.getValue().equals(have.get(e.getKey()))) {
        failures.add(what + ": header " + e.getKey() + " " + have.get(e.getKey()) + " instead of " + e.getValue());
      }
    }
    for (String name : have.keySet()) {
      if (!want.containsKey(name) && !added.contains(name)) {
        failures.add(what + ": unexpected header " + name + ": " + have.get(name));
      }
    }
  }

  private static Map<String, List<String>> headers(Http.Reply r) {
    Map<String, List<String>> out = new TreeMap<>();
    r.headers().forEach((n, v) -> out.computeIfAbsent(n.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(v));
    return out;
  }

  private Future<Http.Reply> send(String route, HttpMethod method, String path, Body body) {
    Promise<Http.Reply> promise = Promise.promise();
    vertx.runOnContext(v -> client.request(options(route, method, path)).compose(req -> {
      if (body == null || body.size() == 0) {
        return req.send();
      }
      byte[] bytes = patternBytes(body.size());
      if (body.chunked()) {
        req.setChunked(true);
      } else {
        req.putHeader("Content-Length", Integer.toString(bytes.length));
      }
      Future<io.vertx.core.http.HttpClientResponse> response = req.response();
      writePieces(req, bytes, body.pieces(), 0);
      return response;
    }).compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(), resp.headers(), b)))
        .onComplete(promise));
    return promise.future();
  }

  /** Writes the pieces a few milliseconds apart, so that they arrive as separate chunks. */
  private void writePieces(HttpClientRequest req, byte[] bytes, int pieces, int i) {
    int step = (bytes.length + pieces - 1) / pieces;
    int from = i * step;
    if (from >= bytes.length) {
      req.end();
      return;
    }
    req.write(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + step))));
    vertx.setTimer(2, id -> writePieces(req, bytes, pieces, i + 1));
  }

  private static RequestOptions options(String route, HttpMethod method, String path) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(gw.node().proxyPort())
        .setURI("/" + route + path);
    o.putHeader("apikey", key);
    o.putHeader("Origin", ORIGIN);
    if (route.equals("jwt")) {
      o.putHeader("Authorization", "Bearer " + jwt);
    }
    return o;
  }

  /** What a streamed answer was: its status, its length and its SHA-256 (never held whole). */
  private record Digest(int status, long bytes, byte[] sha256) {}

  private Future<Digest> streamed(String route, HttpMethod method, String path, Long upload) {
    Promise<Digest> promise = Promise.promise();
    vertx.runOnContext(v -> client.request(options(route, method, path)).compose(req -> {
      Future<io.vertx.core.http.HttpClientResponse> response = req.response();
      if (upload == null) {
        req.end();
      } else {
        req.putHeader("Content-Length", Long.toString(upload));
        pump(req, upload, 0);
      }
      return response;
    }).compose(resp -> {
      MessageDigest sha = sha256();
      long[] n = new long[1];
      Promise<Digest> done = Promise.promise();
      resp.handler(b -> {
        sha.update(b.getBytes());
        n[0] += b.length();
      });
      resp.exceptionHandler(done::tryFail);
      resp.endHandler(x -> done.tryComplete(new Digest(resp.statusCode(), n[0], sha.digest())));
      return done.future();
    }).onComplete(promise));
    return promise.future();
  }

  private static final int BLOCK = 64 * 1024;

  /** Writes {@code total} bytes of the pattern from {@code at}, with backpressure. */
  private static void pump(io.vertx.core.streams.WriteStream<Buffer> out, long total, long at) {
    long pos = at;
    while (pos < total && !out.writeQueueFull()) {
      int n = (int) Math.min(BLOCK, total - pos);
      out.write(Buffer.buffer(patternBytes(pos, n)));
      pos += n;
    }
    if (pos >= total) {
      if (out instanceof HttpClientRequest r) {
        r.end();
      } else if (out instanceof HttpServerResponse r) {
        r.end();
      }
      return;
    }
    long next = pos;
    out.drainHandler(v -> pump(out, total, next));
  }

  /** The upstream: /len/N (one write, Content-Length), /lenmany/N/K (K writes, Content-Length), /chunked/N/K
   *  (K chunks), /echo (the request body back, framed as it came). Every answer carries the same headers. */
  private static void shaped(HttpServerRequest req) {
    HttpServerResponse resp = req.response();
    resp.putHeader("Content-Type", "application/x-sluice-test").putHeader("X-Upstream", "shaped")
        .putHeader("ETag", "\"v1\"").putHeader("Cache-Control", "max-age=60");
    String[] p = req.path().split("/");
    switch (p[1]) {
      case "echo" -> {
        String length = req.getHeader("Content-Length");
        if (length != null) {
          resp.putHeader("Content-Length", length);
        } else if (req.headers().contains("Transfer-Encoding")) {
          resp.setChunked(true);
        } else {
          resp.putHeader("Content-Length", "0");
        }
        req.pipeTo(resp);
      }
      case "len" -> {
        long n = Long.parseLong(p[2]);
        resp.putHeader("Content-Length", Long.toString(n));
        if (n <= BLOCK) {
          resp.end(Buffer.buffer(patternBytes((int) n)));
        } else {
          pump(resp, n, 0);
        }
      }
      case "lenmany", "chunked" -> {
        int n = Integer.parseInt(p[2]);
        int pieces = Integer.parseInt(p[3]);
        if (p[1].equals("chunked")) {
          resp.setChunked(true);
        } else {
          resp.putHeader("Content-Length", Integer.toString(n));
        }
        writePiecesTo(req.response(), patternBytes(n), pieces, 0);
      }
      default -> resp.setStatusCode(404).end();
    }
  }

  private static void writePiecesTo(HttpServerResponse resp, byte[] bytes, int pieces, int i) {
    int step = pieces == 0 ? 1 : (bytes.length + pieces - 1) / pieces;
    int from = i * step;
    if (from >= bytes.length) {
      resp.end();
      return;
    }
    resp.write(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + step))));
    vertx.setTimer(2, id -> writePiecesTo(resp, bytes, pieces, i + 1));
  }

  private static byte[] patternBytes(int n) {
    return patternBytes(0, n);
  }

  /** Bytes that differ from one position to the next, so that a lost, repeated or reordered chunk shows. */
  private static byte[] patternBytes(long from, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      long x = from + i;
      b[i] = (byte) (x * 31 + (x >>> 8) * 7 + (x >>> 16));
    }
    return b;
  }

  private static byte[] pattern(long size) {
    MessageDigest sha = sha256();
    for (long at = 0; at < size; at += BLOCK) {
      sha.update(patternBytes(at, (int) Math.min(BLOCK, size - at)));
    }
    return sha.digest();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hs256(JsonObject payload) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String input = b64.encodeToString(new JsonObject().put("alg", "HS256").put("typ", "JWT").encode()
        .getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return input + "." + b64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
  }
}
