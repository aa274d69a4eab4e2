package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A refusal (or a policy's own answer) is an answer like any other: the response phase of every policy of the
 * route runs on it, those after the one that refused included, so response-transformer edits a 401 or a 429.
 * Headers set in a request phase (RateLimit-*) stay only where that phase ran.
 */
@ExtendWith(VertxExtension.class)
class RefusalResponsePhaseTest {

  private static final String ORIGIN = "https://app.example";

  /** A policy that records its response phase and does what {@code onRequest} says in its request phase. */
  private static final class Recorder implements Policy {
    private final String name;
    private final List<String> log;
    private final java.util.function.Supplier<Future<Verdict>> request;

    Recorder(String name, List<String> log, java.util.function.Supplier<Future<Verdict>> request) {
      this.name = name;
      this.log = log;
      this.request = request;
    }

    @Override
    public Future<Verdict> onRequest(PolicyCall call) {
      log.add(name + " request");
      return request.get();
    }

    @Override
    public void onResponse(PolicyCall call, int status, MultiMap headers) {
      log.add(name + " response " + status);
    }
  }

  private static PolicyChain.Slot slot(String name, int priority, Policy p) {
    return new PolicyChain.Slot(name, priority, p, Map.of());
  }

  private static List<String> refusedBySecond(Future<Verdict> refusal) {
    List<String> log = new ArrayList<>();
    PolicyChain chain = new PolicyChain(List.of(
        slot("a", 3, new Recorder("a", log, () -> Policy.CONTINUE)),
        slot("b", 2, new Recorder("b", log, () -> refusal)),
        slot("c", 1, new Recorder("c", log, () -> Policy.CONTINUE))), "acme");
    PolicyCall call = new PolicyCall(null, "r1", "/api", "api") {};
    Promise<List<String>> done = Promise.promise();
    chain.run(call).onComplete(ar -> {
      call.onResponse(401, MultiMap.caseInsensitiveMultiMap());
      done.complete(log);
    });
    return done.future().await();
  }

  @Test
  void the_policies_after_a_refusal_run_their_response_phase_only(Vertx vertx) {
    List<String> expected = List.of("a request", "b request", "c response 401", "b response 401", "a response 401");
    assertEquals(expected, refusedBySecond(Future.failedFuture(Refusal.unauthorized("no", "Key"))), "synchronous");
    Promise<Verdict> later = Promise.promise();
    vertx.setTimer(5, t -> later.fail(Refusal.forbidden("no")));
    assertEquals(expected, refusedBySecond(later.future()), "a refusal that completes later");
    Promise<Verdict> answered = Promise.promise();
    vertx.setTimer(5, t -> answered.complete(Verdict.answer(204)));
    assertEquals(expected, refusedBySecond(answered.future()), "a policy's own answer, later");
  }

  @Test
  void response_transformer_edits_the_refusals_of_policies_before_it(Vertx vertx) {
    try (Gateway gw = new Gateway(vertx)) {
      String key = gw.key(gw.consumer("alice"));
      JsonObject edit = new JsonObject().put("add", new JsonObject().put("headers",
          new JsonObject().put("X-Added", "yes")));
      gw.plugin("response-transformer", "api", edit);
      gw.plugin("key-auth", "api", new JsonObject());
      gw.plugin("rate-limiting", "api", new JsonObject().put("minute", 1));
      gw.plugin("cors", "api", new JsonObject().put("origins", new JsonArray().add(ORIGIN)));

      Http.Reply unauthorized = gw.get("/api/x", "Origin", ORIGIN);
      assertEquals(401, unauthorized.status(), unauthorized.text());
      assertEquals("yes", unauthorized.header("X-Added"));
      assertNotNull(unauthorized.header("WWW-Authenticate"), "the refusal's own headers stay");
      assertEquals(ORIGIN, unauthorized.header("Access-Control-Allow-Origin"), "cors, as before");
      assertNull(unauthorized.header("RateLimit-Limit"), "rate-limiting did not count it: none, as before");

      Http.Reply ok = gw.get("/api/x", "apikey", key);
      assertEquals(200, ok.status(), ok.text());
      assertEquals("yes", ok.header("X-Added"));
      Http.Reply limited = gw.get("/api/x", "apikey", key, "Origin", ORIGIN);
      assertEquals(429, limited.status(), limited.text());
      assertEquals("yes", limited.header("X-Added"));
      assertNotNull(limited.header("Retry-After"));
      assertEquals("0", limited.header("RateLimit-Remaining"));
      assertEquals(ORIGIN, limited.header("Access-Control-Allow-Origin"));

      Http.Reply preflight = gw.call(gw.node(), HttpMethod.OPTIONS, "/api/x", null, "Origin", ORIGIN,
          "Access-Control-Request-Method", "PUT");
      assertEquals(204, preflight.status(), preflight.text());
      assertEquals("yes", preflight.header("X-Added"), "the gateway's own answer is edited too");
      assertNull(preflight.header("RateLimit-Limit"));

      gw.plugin("ip-restriction", "open", new JsonObject().put("deny", new JsonArray().add("127.0.0.1")));
      gw.plugin("response-transformer", "open", edit);
      Http.Reply forbidden = gw.get("/open/x");
      assertEquals(403, forbidden.status(), forbidden.text());
      assertEquals("yes", forbidden.header("X-Added"));
    }
  }

  /** The gateway's own head (Content-Type, X-Request-Id) is set before the response phase, so it can be edited. */
  @Test
  void response_transformer_edits_the_head_of_refusals_gateway_errors_and_policy_answers(Vertx vertx) {
    try (Gateway gw = new Gateway(vertx)) {
      JsonObject edit = new JsonObject()
          .put("remove", new JsonObject().put("headers", new JsonArray().add("X-Request-Id")))
          .put("replace", new JsonObject().put("headers", new JsonObject().put("Content-Type", "application/problem+json")));
      gw.plugin("response-transformer", "api", edit);
      gw.plugin("key-auth", "api", new JsonObject());
      Http.Reply unauthorized = gw.get("/api/x");
      assertEquals(401, unauthorized.status(), unauthorized.text());
      assertNull(unauthorized.header("X-Request-Id"), "removed by the transformer");
      assertEquals("application/problem+json", unauthorized.header("Content-Type"));

      gw.plugin("response-transformer", "open", edit);
      gw.plugin("cors", "open", new JsonObject().put("origins", new JsonArray().add(ORIGIN)));
      Http.Reply preflight = gw.call(gw.node(), HttpMethod.OPTIONS, "/open/x", null, "Origin", ORIGIN,
          "Access-Control-Request-Method", "PUT");
      assertEquals(204, preflight.status(), preflight.text());
      assertNull(preflight.header("X-Request-Id"), "a policy's own answer: removed too");

      gw.backend.close(); // the target is gone: the gateway's 502 goes through the response phase as well
      Http.Reply failed = gw.get("/open/x");
      assertEquals(502, failed.status(), failed.text());
      assertNull(failed.header("X-Request-Id"), failed.headers().toString());
      assertEquals("application/problem+json", failed.header("Content-Type"));
      assertEquals("upstream_error", new JsonObject(failed.text()).getJsonObject("error").getString("code"));
    }
  }
}
