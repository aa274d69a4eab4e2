package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsLoader;
import io.sluice.store.EntityStore;
import io.sluice.testing.Http;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every path and method the admin Router serves is described in openapi.yaml (Vert.x {@code :id} and
 * OpenAPI {@code {id}} compared with the parameter names left out), and the document is served without
 * a token. A route added to the admin API without its description fails here.
 */
@ExtendWith(VertxExtension.class)
class OpenApiCoverageTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private TestDatabase db;

  private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

  /**
   * Found from outside: no write declared ?wait and ?timeout, which every write that makes a version takes, so a
   * generated client could not send them. Each operation lists exactly the query parameters the API takes
   * ({@link QueryParams}, which refuses any other with 400), and says 415 where it takes a body and 428 where it
   * requires If-Match.
   */
  @Test
  void each_operation_lists_the_query_parameters_the_api_takes_and_its_415_and_428() throws Exception {
    JsonNode doc = YAML.readTree(AdminVerticle.openApiDocument().getBytes());
    JsonNode components = doc.path("components").path("parameters");
    List<String> wrong = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields();
    while (paths.hasNext()) {
      Map.Entry<String, JsonNode> p = paths.next();
      String concrete = p.getKey().replaceAll("\\{[^}]+}", "x");
      for (String m : List.of("get", "post", "put", "patch", "delete")) {
        JsonNode op = p.getValue().path(m);
        if (op.isMissingNode()) {
          continue;
        }
        Set<String> takes = new TreeSet<>(m.equals("get") ? QueryParams.reads(concrete) : QueryParams.writes(concrete));
        takes.remove("offset");
        Set<String> declared = new TreeSet<>(OpenApiOperations.queryNames(op, components));
        if (!declared.equals(takes)) {
          wrong.add(m + " " + p.getKey() + ": declares " + declared + ", takes " + takes);
        }
        if (op.has("requestBody") && !op.path("responses").has("415")) {
          wrong.add(m + " " + p.getKey() + ": no 415");
        }
      }
    }
    assertEquals(List.of(), wrong);
    assertTrue(OpenApiOperations.queryNames(doc.path("paths").path("/routes").path("post"), components)
        .containsAll(Set.of("wait", "timeout")));
    assertTrue(doc.path("paths").path("/routes/{id}").path("patch").path("responses").has("428"));
  }

  @Test
  void every_route_the_admin_router_serves_is_in_the_document(Vertx vertx) throws Exception {
    NodeSettings settings = new SettingsLoader().load(null, false, Map.of("SLUICE_ADMIN_PORT", "0", "SLUICE_PROXY_TLS_PORT", "0",
        "SLUICE_ADMIN_TOKEN", "t"));
    // With a store, so that the entity resources are mounted route by route: without one each resource is a
    // single 503 route for every method and path under it, and a method served but not documented went unseen
    // (PATCH was, on every resource).
    db = TestDatabase.migrated();
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(db.connectOptions()).using(vertx)
        .build();
    AdminVerticle admin = new AdminVerticle(new AdminContext(vertx, settings, new EntityStore(vertx, pool), null,
        () -> 0), "none", new io.sluice.health.Health());
    vertx.deployVerticle(admin).await();

    JsonNode doc = YAML.readTree(AdminVerticle.openApiDocument().getBytes());
    assertEquals("3.1.0", doc.path("openapi").asText());
    Set<String> documented = new TreeSet<>();
    Set<String> operationIds = new java.util.HashSet<>();
    Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields();
    while (paths.hasNext()) {
      Map.Entry<String, JsonNode> p = paths.next();
      p.getValue().fieldNames().forEachRemaining(op -> {
        if (OPERATIONS.contains(op)) {
          documented.add(op.toUpperCase() + " " + normalise(p.getKey()));
          // A generated client names its methods after these: one per operation, never twice.
          String id = p.getValue().path(op).path("operationId").asText();
          assertTrue(!id.isEmpty() && operationIds.add(id), op + " " + p.getKey() + ": operationId '" + id + "'");
        }
      });
    }

    List<String> missing = new ArrayList<>();
    int served = 0;
    Set<String> seen = new TreeSet<>();
    for (Route route : admin.router().getRoutes()) {
      if (route.getPath() == null) {
        continue; // the token check and the 404 fallback match every path
      }
      String path = normalise(route.getPath());
      Set<HttpMethod> methods = route.methods();
      if (methods == null || methods.isEmpty()) {
        if (documented.stream().noneMatch(d -> d.endsWith(" " + path))) {
          missing.add("* " + path);
        }
        served++;
        continue;
      }
      for (HttpMethod m : methods) {
        served++;
        seen.add(m.name() + " " + path);
        if (!documented.contains(m.name() + " " + path)) {
          missing.add(m.name() + " " + path);
        }
      }
    }
    assertTrue(served >= 60, "the router was read, the entity resources' routes included: " + served);
    assertTrue(seen.contains("PATCH /routes/{}") && seen.contains("DELETE /consumers/{}/keys/{}"),
        "the resources' own routes were read: " + seen);
    assertTrue(missing.isEmpty(), "served by the admin API but not in openapi.yaml: " + missing
        + "\ndocumented: " + documented);

    Http http = new Http(vertx);
    assertEquals(401, http.get(admin.actualPort(), "/openapi.yaml").status(), "the admin token is required");
    Http.Reply r = http.call(new io.vertx.core.http.RequestOptions().setHost("127.0.0.1")
        .setPort(admin.actualPort()).setURI("/openapi.yaml").putHeader("Authorization", "Bearer t"));
    assertEquals(200, r.status(), "served with the admin token");
    assertEquals("application/yaml", r.header("Content-Type"));
    assertEquals(doc, YAML.readTree(r.text()));
  }

  @AfterEach
  void dropDatabase() {
    if (db != null) {
      db.close();
    }
  }

  /** /consumers/:id/keys and /consumers/{id}/keys both become /consumers/{}/keys. */
  static String normalise(String path) {
    String p = path.replaceAll(":[A-Za-z0-9_]+", "{}").replaceAll("\\{[^}/]*}", "{}");
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }
}
