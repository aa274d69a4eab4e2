package io.sluice.upstream.discovery;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Kubernetes API server that knows EndpointSlices of one namespace and speaks what a client's list and watch
 * need: GET .../namespaces/NS/endpointslices?labelSelector=kubernetes.io/service-name=S lists them with the
 * collection's resourceVersion; with watch=true and a resourceVersion it streams ADDED, MODIFIED and DELETED
 * events (over a WebSocket, as fabric8 asks, or one JSON object a line), or an ERROR event 410 Gone when that version is older than {@link #expire()}
 * made the history. Every request is recorded ({@link #requests}); {@link #failing} answers 500.
 */
final class FakeKubeApi implements AutoCloseable {

  private final HttpServer server;
  private final String namespace;
  private final Map<String, JsonObject> slices = new LinkedHashMap<>();
  private final List<Watching> watches = new ArrayList<>();
  private long version = 100;
  /** The oldest resourceVersion a watch may start from (older ones get 410 Gone). */
  private long oldest = 0;
  final List<String> requests = new CopyOnWriteArrayList<>();
  final AtomicInteger lists = new AtomicInteger();
  volatile boolean failing;

  /** An open watch: a WebSocket (what fabric8 opens) or a streamed response (one event a line). */
  private record Watching(String service, Consumer<String> send, Consumer<String> last) {}

  FakeKubeApi(Vertx vertx, String namespace) {
    this.namespace = namespace;
    // HTTP/1.1 only, as an API server in the clear: the JDK client's h2c upgrade is declined.
    this.server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false)).requestHandler(this::handle).listen(0, "127.0.0.1").await();
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** An EndpointSlice of {@code service}: its port (name, number) and its endpoints, address to ready. */
  static JsonObject slice(String name, String service, String portName, int port, Map<String, Boolean> ready) {
    JsonArray endpoints = new JsonArray();
    ready.forEach((ip, r) -> endpoints.add(new JsonObject().put("addresses", new JsonArray().add(ip))
        .put("conditions", new JsonObject().put("ready", r).put("serving", r).put("terminating", !r))));
    return new JsonObject().put("apiVersion", "discovery.k8s.io/v1").put("kind", "EndpointSlice")
        .put("metadata", new JsonObject().put("name", name).put("uid", "uid-" + name)
            .put("labels", new JsonObject().put(KubernetesWatch.SERVICE_LABEL, service)))
        .put("addressType", "IPv4")
        .put("ports", new JsonArray().add(new JsonObject().put("name", portName).put("port", port)
            .put("protocol", "TCP")))
        .put("endpoints", endpoints);
  }

  /** Creates or replaces a slice; open watches of its service get the event. */
  synchronized void put(JsonObject slice) {
    String name = slice.getJsonObject("metadata").getString("name");
    slice.getJsonObject("metadata").put("namespace", namespace).put("resourceVersion", Long.toString(++version));
    String type = slices.put(name, slice) == null ? "ADDED" : "MODIFIED";
    send(type, slice);
  }

  synchronized void delete(String name) {
    JsonObject gone = slices.remove(name);
    gone.getJsonObject("metadata").put("resourceVersion", Long.toString(++version));
    send("DELETED", gone);
  }

  /**
   * Changes a slice without telling the watches, then ends them with 410 Gone (the history they stand on is
   * compacted): only a client that lists again sees the change.
   */
  synchronized void expire(JsonObject changed) {
    String name = changed.getJsonObject("metadata").getString("name");
    changed.getJsonObject("metadata").put("namespace", namespace).put("resourceVersion", Long.toString(++version));
    slices.put(name, changed);
    oldest = version;
    for (Watching w : watches) {
      w.last().accept(event("ERROR", gone()).encode());
    }
    watches.clear();
  }

  /** Watches open now (a change made before its watch opens reaches a client only by a new list). */
  synchronized int watching() {
    return watches.size();
  }

  private void send(String type, JsonObject slice) {
    String service = service(slice);
    for (Watching w : watches) {
      if (w.service().equals(service)) {
        w.send().accept(event(type, slice).encode());
      }
    }
  }

  private static String service(JsonObject slice) {
    return slice.getJsonObject("metadata").getJsonObject("labels").getString(KubernetesWatch.SERVICE_LABEL);
  }

  private static JsonObject event(String type, JsonObject object) {
    return new JsonObject().put("type", type).put("object", object);
  }

  private static JsonObject gone() {
    return new JsonObject().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
        .put("message", "too old resource version").put("reason", "Expired").put("code", 410)
        .put("metadata", new JsonObject());
  }

  private void handle(HttpServerRequest req) {
    requests.add(req.method() + " " + req.uri());
    String path = "/apis/discovery.k8s.io/v1/namespaces/" + namespace + "/endpointslices";
    String selector = req.getParam("labelSelector", "");
    HttpServerResponse res = req.response().putHeader("Content-Type", "application/json");
    if (failing) {
      res.setStatusCode(500).end(new JsonObject().put("kind", "Status").put("code", 500)
          .put("message", "the fake API server fails").encode());
      return;
    }
    if (!req.path().equals(path) || !selector.startsWith(KubernetesWatch.SERVICE_LABEL + "=")) {
      res.setStatusCode(404).end(new JsonObject().put("kind", "Status").put("code", 404).encode());
      return;
    }
    String service = selector.substring(KubernetesWatch.SERVICE_LABEL.length() + 1);
    synchronized (this) {
      if (!"true".equals(req.getParam("watch"))) {
        lists.incrementAndGet();
        JsonArray items = new JsonArray();
        slices.values().stream().filter(s -> service(s).equals(service)).forEach(items::add);
        res.end(new JsonObject().put("apiVersion", "discovery.k8s.io/v1").put("kind", "EndpointSliceList")
            .put("metadata", new JsonObject().put("resourceVersion", Long.toString(version)))
            .put("items", items).encode());
        return;
      }
      long from = Long.parseLong(req.getParam("resourceVersion", "0"));
      if ("websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
        req.toWebSocket().onSuccess(ws -> watch(from, new Watching(service, ws::writeTextMessage, line -> {
          ws.writeTextMessage(line);
          ws.close();
        }), ws::closeHandler));
        return;
      }
      res.setChunked(true).writeHead();
      watch(from, new Watching(service, line -> res.write(line + "\n"), line -> res.end(line + "\n")),
          res::closeHandler);
    }
  }

  private synchronized void watch(long from, Watching w, Consumer<Handler<Void>> onClose) {
    if (from < oldest) {
      w.last().accept(event("ERROR", gone()).encode());
      return;
    }
    watches.add(w);
    onClose.accept(v -> {
      synchronized (this) {
        watches.remove(w);
      }
    });
  }

  @Override
  public void close() {
    server.close().await();
  }
}
