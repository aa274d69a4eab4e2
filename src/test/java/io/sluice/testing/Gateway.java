package io.sluice.testing;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.settings.NodeSettings;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A node in PostgreSQL mode in front of a recording backend, with one service {@code svc} and routes
 * {@code open} (/open) and {@code api} (/api); admin calls that wait until every node of the gateway serves
 * the version they wrote, and proxy calls.
 */
public final class Gateway implements AutoCloseable {

  public static final String TOKEN = "test-admin-token";
  public static final String ROUTES = """
      format_version: 1
      services:
        - name: svc
          tenant: acme
          retries: 0
          targets:
            - address: 127.0.0.1:%d
      routes:
        - name: api
          service: svc
          paths: ["/api"]
        - name: open
          service: svc
          paths: ["/open"]
      """;

  public final TestDatabase db;
  public final RecordingBackend backend;
  public final List<TestNode> nodes = new ArrayList<>();
  public final Http http;
  /** The client of proxy calls ({@link #get}, {@link #call}): HTTP/1.1, h2c after {@link #overH2c}, h2 after {@link #overTls}. */
  private Http proxy;
  /** Whether proxy calls go to the TLS port. */
  private boolean tls;
  private final Vertx vertx;
  private final Map<String, String> env;
  private final int upstreamPort;
  /** What every node's settings go through once loaded (identity but for tests of guards behind the loader). */
  private final UnaryOperator<NodeSettings> edit;

  public Gateway(Vertx vertx) {
    this(vertx, Map.of());
  }

  public Gateway(Vertx vertx, Map<String, String> extraEnv) {
    this(vertx, extraEnv, null);
  }

  /** {@code upstreamPort}: where svc's target is (null: the recording backend). */
  public Gateway(Vertx vertx, Map<String, String> extraEnv, Integer upstreamPort) {
    this(vertx, extraEnv, upstreamPort, List.of(Map.of()), UnaryOperator.identity());
  }

  /** A gateway whose nodes' settings {@code edit} changes once loaded and checked (see {@link TestNode}). */
  public static Gateway edited(Vertx vertx, Map<String, String> extraEnv, UnaryOperator<NodeSettings> edit) {
    return new Gateway(vertx, extraEnv, null, List.of(Map.of()), edit);
  }

  /**
   * {@code count} nodes forming one Hazelcast cluster (TCP-IP on loopback): the consumer cache then has its
   * cluster tier too (the {@code sluice.consumers} map), as in production.
   */
  public static Gateway clustered(Vertx vertx, int count) {
    return clustered(vertx, count, Map.of());
  }

  /** {@code count} clustered nodes (see {@link #clustered(Vertx, int)}) with {@code extraEnv} settings on each. */
  public static Gateway clustered(Vertx vertx, int count, Map<String, String> extraEnv) {
    String name = "sluice-gw-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ports.add(Ports.free());
    }
    String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
    List<Map<String, String>> perNode = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Map<String, String> node = new HashMap<>(extraEnv);
      node.putAll(Map.of("SLUICE_CLUSTER_DISCOVERY", "tcp-ip", "SLUICE_CLUSTER_NAME", name,
          "SLUICE_CLUSTER_MEMBERS", members, "SLUICE_CLUSTER_PORT", String.valueOf(ports.get(i)),
          "SLUICE_NODE_NAME", "node-" + i));
      perNode.add(node);
    }
    return new Gateway(vertx, Map.of(), null, perNode, UnaryOperator.identity());
  }

  private Gateway(Vertx vertx, Map<String, String> extraEnv, Integer upstreamPort,
                  List<Map<String, String>> perNode, UnaryOperator<NodeSettings> edit) {
    db = TestDatabase.migrated();
    backend = RecordingBackend.start(vertx);
    this.upstreamPort = upstreamPort == null ? backend.port() : upstreamPort;
    http = new Http(vertx);
    proxy = http;
    this.vertx = vertx;
    this.edit = edit;
    env = new HashMap<>(Map.of("SLUICE_PG_URL", db.url(), "SLUICE_ADMIN_TOKEN", TOKEN,
        "SLUICE_KEYS_HMAC_SECRET", "test-hmac-secret"));
    env.putAll(extraEnv);
    for (Map<String, String> extra : perNode) {
      addNode(extra);
    }
  }

  /** Proxy calls go as HTTP/2 with prior knowledge from now on (admin calls stay HTTP/1.1). */
  public Gateway overH2c() {
    proxy = Http.h2c(vertx);
    return this;
  }

  /**
   * Proxy calls go as HTTP/2 over TLS (h2 chosen by ALPN) to the nodes' TLS port from now on: a certificate of a
   * CA made here is created through the admin API and served for every name (SNI {@code *}). Fails unless the
   * proxy really answers over HTTP/2 there.
   */
  public Gateway overTls() {
    TestCa ca = new TestCa("Gateway Test CA");
    TestCa.Issued leaf = ca.leaf("localhost");
    JsonObject cert = create("/certificates", new JsonObject().put("cert", leaf.certPem()).put("key", leaf.keyPem()));
    create("/snis", new JsonObject().put("name", "*").put("certificate", cert.getString("id")));
    proxy = Http.h2(vertx, ca.certPem());
    tls = true;
    HttpVersion version = proxy.onContext(c -> c.request(HttpMethod.GET, node().proxyTlsPort(), "127.0.0.1", "/open")
        .compose(req -> req.send()).compose(resp -> resp.body().map(b -> resp.version()))).await();
    assertEquals(HttpVersion.HTTP_2, version, "the TLS port did not agree on h2 by ALPN");
    return this;
  }

  /** Another node on the same database (and the same settings). */
  public TestNode addNode() {
    return addNode(Map.of());
  }

  /** Another node on the same database, with {@code extra} settings (environment variables) over the gateway's. */
  public TestNode addNode(Map<String, String> extra) {
    Map<String, String> all = new HashMap<>(env);
    all.putAll(extra);
    TestNode node = TestNode.startEdited(ROUTES.formatted(upstreamPort), all, edit);
    nodes.add(node);
    return node;
  }

  public TestNode node() {
    return nodes.get(0);
  }

  /** An admin call with the operator token and extra headers (name, value, ...). */
  public Http.Reply admin(HttpMethod method, String uri, Object body, String... headers) {
    return adminAs(TOKEN, method, uri, body, headers);
  }

  /** {@link #admin} with another token (an admin token made with POST /admin-tokens). */
  public Http.Reply adminAs(String token, HttpMethod method, String uri, Object body, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(node().adminPort())
        .setURI(uri).putHeader("Authorization", "Bearer " + token);
    for (int i = 0; i < headers.length; i += 2) {
      o.putHeader(headers[i], headers[i + 1]);
    }
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    Http.Reply r = http.call(o, body == null ? null : Buffer.buffer(body.toString()));
    String version = r.header("Sluice-Config-Version");
    if (version != null && r.status() < 300) {
      awaitApplied(Long.parseLong(version));
    }
    return r;
  }

  /** Waits until every node serves {@code version} (bounded: a node that never gets there fails the test). */
  public void awaitApplied(long version) {
    eventually("every node applied version " + version,
        () -> nodes.stream().allMatch(n -> n.node().appliedVersion() >= version));
  }

  public JsonObject create(String uri, JsonObject body) {
    Http.Reply r = admin(HttpMethod.POST, uri, body);
    assertEquals(201, r.status(), r.text());
    return new JsonObject(r.text());
  }

  /** A consumer of tenant acme with the given groups. */
  public JsonObject consumer(String username, String... groups) {
    return create("/consumers", new JsonObject().put("tenant", "acme").put("username", username)
        .put("groups", new JsonArray(List.of(groups))));
  }

  /** A new API key of the consumer. */
  public String key(JsonObject consumer) {
    return create("/consumers/" + consumer.getString("id") + "/keys", new JsonObject()).getString("key");
  }

  /** Enables a policy on route {@code route} (or globally when route is null). */
  public JsonObject plugin(String name, String route, JsonObject config) {
    JsonObject body = new JsonObject().put("name", name).put("config", config);
    if (route == null) {
      body.put("scope", "global");
    } else {
      body.put("scope", "route").put("route", route);
    }
    return create("/plugins", body);
  }

  public Http.Reply get(String uri, String... headers) {
    return get(node(), uri, headers);
  }

  public Http.Reply get(TestNode node, String uri, String... headers) {
    return call(node, HttpMethod.GET, uri, null, headers);
  }

  public Http.Reply call(TestNode node, HttpMethod method, String uri, Buffer body, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1")
        .setPort(tls ? node.proxyTlsPort() : node.proxyPort()).setURI(uri);
    for (int i = 0; i < headers.length; i += 2) {
      o.addHeader(headers[i], headers[i + 1]);
    }
    return proxy.call(o, body);
  }

  /**
   * A proxy call whose body goes without a declared length: chunked over HTTP/1.1; over HTTP/2, DATA frames after
   * a head without content-length.
   */
  public Http.Reply callUnsized(TestNode node, HttpMethod method, String uri, Buffer body, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1")
        .setPort(tls ? node.proxyTlsPort() : node.proxyPort()).setURI(uri);
    for (int i = 0; i < headers.length; i += 2) {
      o.addHeader(headers[i], headers[i + 1]);
    }
    return proxy.onContext(client -> client.request(o).compose(req -> {
      req.setChunked(true);
      return req.send(body).compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(), resp.headers(), b)));
    })).await();
  }

  /** The last request the backend received. */
  public RecordingBackend.Received last() {
    return backend.completed.get(backend.completed.size() - 1);
  }

  @Override
  public void close() {
    for (TestNode n : nodes) {
      n.close();
    }
    backend.close();
    db.close();
  }
}
