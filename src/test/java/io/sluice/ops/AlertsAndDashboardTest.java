package io.sluice.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.SharedKafka;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Grafana dashboard and the Prometheus alerts name only metrics Sluice really exports: a renamed meter
 * fails here instead of leaving a panel empty and an alert silent.
 */
@ExtendWith(VertxExtension.class)
class AlertsAndDashboardTest {

  private static final Pattern METRIC = Pattern.compile("\\b(?:sluice|jvm|process|vertx)_[a-zA-Z0-9_]+");

  @Test
  void every_metric_in_the_alerts_and_the_dashboard_is_exported(Vertx vertx) throws Exception {
    List<String> exprs = new ArrayList<>();
    JsonNode alerts = new ObjectMapper(new YAMLFactory()).readTree(Path.of("conf/prometheus/alerts.yml").toFile());
    int rules = 0;
    for (JsonNode group : alerts.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        rules++;
        String name = rule.path("alert").asText();
        assertFalse(name.isEmpty(), "every rule is an alert with a name: " + rule);
        assertFalse(rule.path("labels").path("severity").asText().isEmpty(), name + ": severity");
        assertFalse(rule.path("annotations").path("summary").asText().isEmpty(), name + ": summary");
        exprs.add(rule.path("expr").asText());
      }
    }
    assertTrue(rules >= 6, "alerts for errors, latency, restarts, memory and more");
    JsonNode dashboard = new ObjectMapper().readTree(Path.of("conf/grafana/sluice.json").toFile());
    int panels = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        panels++;
        exprs.add(target.path("expr").asText());
      }
    }
    dashboard.path("annotations").path("list").forEach(a -> exprs.add(a.path("expr").asText()));
    dashboard.path("templating").path("list").forEach(t -> {
      if ("query".equals(t.path("type").asText())) {
        exprs.add(t.path("query").path("query").asText());
      }
    });
    assertTrue(panels >= 15, "a dashboard with the panels an SRE needs");

    Set<String> named = new TreeSet<>();
    for (String e : exprs) {
      assertFalse(e.isBlank(), "an empty expression");
      Matcher m = METRIC.matcher(e);
      while (m.find()) {
        named.add(m.group());
      }
    }
    Set<String> exported = exported(vertx);
    Set<String> missing = new TreeSet<>(named);
    missing.removeAll(exported);
    assertEquals(Set.of(), missing, "named in conf/ but not exported (exported: " + exported + ")");
  }

  /**
   * Every series name a node exposes (histograms with their suffixes) once it follows PostgreSQL, exports
   * the access stream to Kafka, runs the rate-limiting (redis) and proxy-cache policies, and served requests.
   */
  private static Set<String> exported(Vertx vertx) throws Exception {
    Http http = new Http(vertx);
    Backend backend = Backend.start(vertx, req -> req.response().setStatusCode(503).end());
    TestDatabase db = TestDatabase.migrated();
    Path spool = Files.createTempDirectory("spool");
    Map<String, String> env = new HashMap<>();
    env.put("SLUICE_PG_URL", db.url());
    env.put("SLUICE_STREAM_ENABLED", "true");
    env.put("SLUICE_STREAM_CURSOR_SECRET", "test-cursor-secret");
    env.put("SLUICE_KAFKA_BOOTSTRAP", SharedKafka.bootstrap());
    env.put("SLUICE_KAFKA_TOPIC", "metrics-" + Long.toHexString(System.nanoTime()));
    env.put("SLUICE_KAFKA_PARTITIONS", "1");
    env.put("SLUICE_SPOOL_DIR", spool.toString());
    // A cluster of one, so that the cluster's meters exist (the split-cluster alert names its member count).
    int clusterPort = io.sluice.testing.Ports.free();
    env.put("SLUICE_CLUSTER_DISCOVERY", "tcp-ip");
    env.put("SLUICE_CLUSTER_NAME", "alerts-" + Long.toHexString(System.nanoTime()));
    env.put("SLUICE_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort);
    env.put("SLUICE_CLUSTER_PORT", String.valueOf(clusterPort));
    try (TestNode node = TestNode.start(TestNode.simpleRoutes(null, backend.port()), env)) {
      plugin(http, node, new JsonObject().put("name", "rate-limiting").put("scope", "route").put("route", "all")
          .put("config", new JsonObject().put("second", 1000).put("policy", "redis")));
      plugin(http, node, new JsonObject().put("name", "proxy-cache").put("scope", "route").put("route", "all")
          .put("config", new JsonObject()));
      for (int i = 0; i < 3; i++) {
        http.get(node.proxyPort(), "/x");
      }
      // A certificate served, so that its expiry is exported (the certificate-expiry alert names it).
      io.sluice.testing.TestCa.Issued cert = new io.sluice.testing.TestCa("Alerts CA")
          .issue("alerts.example.test", java.time.Duration.ofDays(30), "alerts.example.test");
      Http.Reply created = http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
          .setPort(node.adminPort()).setURI("/certificates?wait=true").putHeader("Content-Type", "application/json"),
          Buffer.buffer(new JsonObject().put("cert", cert.certPem()).put("key", cert.keyPem()).encode()));
      assertEquals(201, created.status(), created.text());
      // GC pause meters exist from a JVM's first collection on (registered when its notification arrives, on
      // another thread); a fresh test JVM may not have had one yet.
      System.gc();
      Set<String> names = new TreeSet<>();
      io.sluice.testing.Eventually.eventually("the GC pause meters after a collection", () -> {
        names.clear();
        for (String line : http.get(node.adminPort(), "/metrics").text().split("\n")) {
          if (!line.isEmpty() && !line.startsWith("#")) {
            int end = line.indexOf('{');
            names.add(line.substring(0, end > 0 ? end : line.indexOf(' ')));
          }
        }
        return names.contains("jvm_gc_pause_seconds_sum");
      });
      return names;
    } finally {
      backend.close();
      db.close();
    }
  }

  private static void plugin(Http http, TestNode node, JsonObject body) {
    Http.Reply r = http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(node.adminPort()).setURI("/plugins?wait=true").putHeader("Content-Type", "application/json"),
        Buffer.buffer(body.encode()));
    assertEquals(201, r.status(), r.text());
  }
}
