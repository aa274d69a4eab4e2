package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.store.Slice;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cursor paging of the admin API's lists on real PostgreSQL: paging while others insert and delete rows
 * neither skips nor repeats a row that existed throughout; rows written in one transaction (one created_at)
 * page by id; the last page has no next; a bad, edited or forged cursor, a cursor of another list and an
 * offset are refused naming the field; a cursor one node makes, another with the same keys.hmac_secret takes;
 * limit keeps its bounds and default; a tenant token pages through its tenant only; tokens and credentials page
 * the same way.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListPagingTest {

  private Gateway gw;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    gw.create("/tenants", new JsonObject().put("name", "globex"));
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  /** A page's answer, checked to be 200. */
  private JsonObject page(String token, String uri) {
    Http.Reply r = gw.adminAs(token, HttpMethod.GET, uri, null);
    assertEquals(200, r.status(), uri + ": " + r.text());
    return new JsonObject(r.text());
  }

  /** Every id of a list, following next to the end (which must come), in the order listed. */
  private List<String> all(String token, String first, Runnable betweenPages) {
    List<String> ids = new ArrayList<>();
    String next = first;
    for (int pages = 0; next != null; pages++) {
      assertTrue(pages < 1000, "next never ends: " + next);
      JsonObject p = page(token, next);
      p.getJsonArray("data").forEach(e -> ids.add(((JsonObject) e).getString("id")));
      next = p.getString("next");
      if (next != null) {
        assertTrue(next.contains("cursor=") && !next.contains("offset"), next);
        betweenPages.run();
      }
    }
    return ids;
  }

  private List<String> all(String first) {
    return all(Gateway.TOKEN, first, () -> { });
  }

  private static Set<String> fields(Http.Reply r) {
    Set<String> out = new TreeSet<>();
    new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields")
        .forEach(f -> out.add(((JsonObject) f).getString("field")));
    return out;
  }

  private String consumer(String tenant, String username) {
    return gw.create("/consumers", new JsonObject().put("tenant", tenant).put("username", username)).getString("id");
  }

  @Test
  void paging_while_others_insert_and_delete_neither_skips_nor_repeats_a_row_that_stayed() throws Exception {
    gw.create("/tenants", new JsonObject().put("name", "churn"));
    List<String> stay = new ArrayList<>();
    List<String> go = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      stay.add(consumer("churn", "stay-" + i));
      go.add(consumer("churn", "go-" + i));
    }
    // Another client inserts and deletes the whole time the pages are read...
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger churned = new AtomicInteger();
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      while (!done.get()) {
        int n = churned.incrementAndGet();
        String id = consumer("churn", "churn-" + n);
        assertEquals(204, gw.admin(HttpMethod.DELETE, "/consumers/" + id, null).status());
        consumer("churn", "late-" + n);
      }
    });
    // ...and between two pages, rows already listed and rows still ahead go, and new ones come.
    int[] between = {0};
    List<String> listed = all(Gateway.TOKEN, "/consumers?tenant=churn&limit=2", () -> {
      int i = between[0]++;
      if (i < go.size() / 2) {
        assertEquals(204, gw.admin(HttpMethod.DELETE, "/consumers/" + go.get(i), null).status());
        assertEquals(204, gw.admin(HttpMethod.DELETE, "/consumers/" + go.get(go.size() - 1 - i), null).status());
        consumer("churn", "new-" + i);
      }
    });
    done.set(true);
    writer.get(30, TimeUnit.SECONDS);

    assertTrue(between[0] >= 10, "paged over many pages: " + between[0]);
    assertTrue(churned.get() > 0, "the other client wrote while paging");
    assertEquals(listed.size(), new HashSet<>(listed).size(), "no row listed twice: " + listed);
    for (String id : stay) {
      assertTrue(listed.contains(id), "a row that stayed throughout was skipped: " + id);
    }
    List<String> order = listed.stream().filter(stay::contains).toList();
    assertEquals(stay, order, "in creation order");
  }

  @Test
  void rows_of_one_transaction_page_by_id_with_the_default_limit_and_the_last_page_has_no_next() {
    gw.create("/tenants", new JsonObject().put("name", "bulk"));
    // One statement: every row has the same created_at, so only the id orders them.
    gw.db.transaction("insert into consumers (tenant_id, username) select (select id from tenants where name = 'bulk'),"
        + " 'bulk-' || g from generate_series(1, 105) g");
    JsonObject first = page(Gateway.TOKEN, "/consumers?tenant=bulk");
    assertEquals(Requests.DEFAULT_LIMIT, first.getJsonArray("data").size(), "100 by default");
    String next = first.getString("next");
    assertNotNull(next);
    assertTrue(next.startsWith("/consumers?cursor=") && next.contains("&limit=100&tenant=bulk"), next);
    JsonObject last = page(Gateway.TOKEN, next);
    assertEquals(5, last.getJsonArray("data").size());
    assertNull(last.getString("next"), "the last page has no next");
    assertTrue(last.containsKey("next"), "next is there, null");

    List<String> byPages = all("/consumers?tenant=bulk&limit=7");
    assertEquals(105, byPages.size());
    assertEquals(105, new HashSet<>(byPages).size(), "none twice");
    List<String> sorted = new ArrayList<>(byPages);
    sorted.sort(null);
    assertEquals(sorted, byPages, "equal created_at: by id (uuid order matches text order in hex)");

    JsonObject exact = page(Gateway.TOKEN, "/consumers?tenant=bulk&limit=105");
    assertNull(exact.getString("next"), "a page that ends the list exactly has no next");
  }

  @Test
  void a_bad_cursor_another_lists_cursor_an_offset_and_a_limit_out_of_bounds_are_refused_by_name() {
    Http.Reply garbage = gw.admin(HttpMethod.GET, "/consumers?cursor=not-a-cursor!", null);
    assertEquals(400, garbage.status(), garbage.text());
    assertEquals(Set.of("cursor"), fields(garbage));
    String forged = Base64.getUrlEncoder().withoutPadding()
        .encodeToString("consumers|yesterday|nobody".getBytes(StandardCharsets.UTF_8));
    assertEquals(Set.of("cursor"), fields(gw.admin(HttpMethod.GET, "/consumers?cursor=" + forged, null)));
    // Of the form cursors had before they were signed, with values that parse: still not one of this list.
    String edited = Base64.getUrlEncoder().withoutPadding().encodeToString(
        "consumers|0|00000000-0000-0000-0000-000000000000".getBytes(StandardCharsets.UTF_8));
    assertEquals(Set.of("cursor"), fields(gw.admin(HttpMethod.GET, "/consumers?cursor=" + edited, null)));

    String tenantsNext = page(Gateway.TOKEN, "/tenants?limit=1").getString("next");
    String cursor = tenantsNext.substring(tenantsNext.indexOf("cursor=") + 7, tenantsNext.indexOf('&'));
    assertEquals(200, gw.admin(HttpMethod.GET, "/tenants?cursor=" + cursor, null).status());
    Http.Reply other = gw.admin(HttpMethod.GET, "/services?cursor=" + cursor, null);
    assertEquals(400, other.status(), "a cursor of /tenants is not one of /services");
    assertEquals(Set.of("cursor"), fields(other));
    // The cursor the list answered, its position edited (to the start) and its signature kept.
    String payload = cursor.substring(0, cursor.indexOf('.'));
    String[] parts = new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8).split("\\|");
    String moved = Base64.getUrlEncoder().withoutPadding().encodeToString((parts[0] + "|0|" + parts[2])
        .getBytes(StandardCharsets.UTF_8)) + cursor.substring(cursor.indexOf('.'));
    assertEquals(Set.of("cursor"), fields(gw.admin(HttpMethod.GET, "/tenants?cursor=" + moved, null)));

    Http.Reply offset = gw.admin(HttpMethod.GET, "/routes?offset=100", null);
    assertEquals(400, offset.status());
    assertEquals(Set.of("offset"), fields(offset));
    assertTrue(offset.text().contains("cursor"), "points to cursor: " + offset.text());

    for (String limit : List.of("0", "1001", "-1", "ten", "%2B5", "05", "1e2")) { // a sign, a leading zero: found from outside
      Http.Reply r = gw.admin(HttpMethod.GET, "/services?limit=" + limit, null);
      assertEquals(400, r.status(), limit);
      assertEquals(Set.of("limit"), fields(r), limit);
    }
    assertEquals(200, gw.admin(HttpMethod.GET, "/services?limit=1000", null).status());
    assertEquals(200, gw.admin(HttpMethod.GET, "/services?limit=1", null).status());
    Http.Reply all = gw.admin(HttpMethod.GET, "/plugins?limit=0&offset=0&cursor=x", null);
    assertEquals(Set.of("cursor", "limit", "offset"), fields(all), "every bad parameter at once");
  }

  @Test
  void a_cursor_made_by_one_node_is_taken_by_another_with_the_same_secret_and_by_no_other() {
    Slice.Key key = new Slice.Key(OffsetDateTime.parse("2026-12-06T10:00:00.123456Z"), UUID.randomUUID());
    String cursor = new Paging("cluster-secret").encode("consumers", key);
    assertEquals(key, new Paging("cluster-secret").decode("consumers", cursor));
    assertNull(new Paging("another-secret").decode("consumers", cursor));
    assertNull(new Paging("cluster-secret").decode("routes", cursor));
  }

  @Test
  void a_tenant_token_pages_through_its_own_tenant_only() {
    gw.create("/tenants", new JsonObject().put("name", "initech"));
    Set<String> initech = new HashSet<>();
    Set<String> globex = new HashSet<>();
    for (int i = 0; i < 7; i++) {
      initech.add(consumer("initech", "i-" + i));
      globex.add(consumer("globex", "g-" + i));
    }
    String token = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "initech"))
        .getString("token");
    List<String> seen = all(token, "/consumers?limit=2", () -> { });
    assertEquals(initech, new HashSet<>(seen), "initech's consumers, each once, no other tenant's");
    assertEquals(seen.size(), initech.size());
    assertEquals(initech, new HashSet<>(all(token, "/consumers?tenant=initech&limit=3", () -> { })));

    Http.Reply foreign = gw.adminAs(token, HttpMethod.GET, "/consumers?tenant=globex&limit=2", null);
    assertEquals(400, foreign.status(), "another tenant named does not exist: " + foreign.text());
    // A cursor made in the operator's listing of globex shows nothing of globex to initech's token.
    String operatorNext = page(Gateway.TOKEN, "/consumers?tenant=globex&limit=2").getString("next");
    List<String> withIt = all(token, operatorNext.replace("&tenant=globex", ""), () -> { });
    assertTrue(globex.stream().noneMatch(withIt::contains), "no globex row through a globex cursor: " + withIt);
    assertEquals(globex, new HashSet<>(all(Gateway.TOKEN, "/consumers?tenant=globex&limit=2", () -> { })),
        "the operator's next keeps the tenant filter");

    List<String> tenants = all(token, "/tenants?limit=1", () -> { });
    assertEquals(1, tenants.size(), "a tenant token sees its own tenant: " + tenants);
  }

  @Test
  void admin_tokens_stream_tokens_and_credentials_page_by_cursor_too() {
    Set<String> tokens = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      tokens.add(gw.create("/admin-tokens", new JsonObject().put("role", "operator")).getString("id"));
    }
    List<String> listed = all("/admin-tokens?limit=2");
    assertTrue(listed.containsAll(tokens), listed.toString());
    assertEquals(listed.size(), new HashSet<>(listed).size());

    String tenant = gw.create("/tenants", new JsonObject().put("name", "streamer")).getString("id");
    Set<String> streamTokens = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      streamTokens.add(gw.create("/tenants/" + tenant + "/stream-tokens", new JsonObject()).getString("id"));
    }
    assertEquals(streamTokens, new HashSet<>(all("/tenants/" + tenant + "/stream-tokens?limit=2")));

    String consumer = consumer("acme", "keyholder");
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      keys.add(gw.create("/consumers/" + consumer + "/keys", new JsonObject()).getString("id"));
    }
    List<String> keysListed = all("/consumers/" + consumer + "/keys?limit=2");
    assertEquals(keys, new HashSet<>(keysListed));
    assertEquals(5, keysListed.size());

    String keysNext = page(Gateway.TOKEN, "/consumers/" + consumer + "/keys?limit=2").getString("next");
    String cursor = keysNext.substring(keysNext.indexOf("cursor=") + 7, keysNext.indexOf('&'));
    Http.Reply jwt = gw.admin(HttpMethod.GET, "/consumers/" + consumer + "/jwt?cursor=" + cursor, null);
    assertEquals(400, jwt.status(), "a cursor of the keys is not one of the JWT credentials");
    assertEquals(Set.of("cursor"), fields(jwt));
    assertEquals(Set.of("offset"), fields(gw.admin(HttpMethod.GET, "/admin-tokens?offset=1", null)));
  }
}
