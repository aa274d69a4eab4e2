package io.sluice.admin;

import io.sluice.config.FieldError;
import io.sluice.credential.ApiKeys;
import io.sluice.store.Slice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Cursor paging of the admin API's lists, the shape of {@code GET /config/history}: an answer is
 * {@code {"data": [...], "next": URI}} where {@code next} is null on the last page and otherwise repeats the
 * request's filters with {@code cursor} (where the page after this one starts) and {@code limit}. A cursor is
 * opaque: base64url of the list it belongs to and the key of the last row listed (see {@link Slice}), so a
 * page starts after that row whatever was inserted or deleted meanwhile, then a dot and its HMAC-SHA-256
 * (128 bits) under a key derived from keys.hmac_secret, so that an edited or forged cursor is refused and one
 * made by any node of the cluster (they share the secret) is taken by every other. {@code offset}, which skips
 * or repeats rows under concurrent writes, is refused with a 400 that points to {@code cursor}.
 */
final class Paging {

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
  private static final long MICROS = 1_000_000L;
  /** What the cursors' key is derived for: a cursor's MAC is never an API key's digest under the same secret. */
  private static final String KEY_LABEL = "sluice admin list cursor v1";
  /** 128 bits of the MAC: beyond guessing, and a cursor stays short enough for a query string. */
  private static final int MAC_BYTES = 16;
  /** Longer than any cursor made here: not decoded. */
  private static final int MAX_CURSOR = 512;

  /** What a list request asks for: at most {@code limit} rows after {@code after} (null: from the first). */
  record Page(int limit, Slice.Key after) {}

  private final ApiKeys.Digester mac;

  /** Cursors signed under keys.hmac_secret ({@code hmacSecret}; empty: the development key). */
  Paging(String hmacSecret) {
    this.mac = new ApiKeys.Digester(ENCODER.encodeToString(ApiKeys.digest(KEY_LABEL, hmacSecret)));
  }

  /**
   * The page a request asks for from the list named {@code list} (a cursor of another list is refused);
   * every bad parameter is named at once.
   */
  Page page(RoutingContext rc, String list) {
    List<FieldError> errors = new ArrayList<>();
    int limit = Requests.DEFAULT_LIMIT;
    String rawLimit = rc.queryParams().get("limit");
    if (rawLimit != null) {
      // Decimal digits only: Integer.parseInt also took "+5" and "01", which a strict client would never send.
      limit = rawLimit.matches("[1-9][0-9]{0,3}") ? Integer.parseInt(rawLimit) : -1;
      if (limit < 1 || limit > Requests.MAX_LIMIT) {
        errors.add(new FieldError("limit", "must be an integer from 1 to " + Requests.MAX_LIMIT));
      }
    }
    if (rc.queryParams().contains("offset")) {
      errors.add(new FieldError("offset", "lists page by cursor, not by offset (an offset skips or repeats rows"
          + " while others write): follow the answer's \"next\", or pass the cursor it carries as ?cursor="));
    }
    Slice.Key after = null;
    String cursor = rc.queryParams().get("cursor");
    if (cursor != null) {
      after = decode(list, cursor);
      if (after == null) {
        errors.add(new FieldError("cursor", "not a cursor of " + rc.request().path() + ": pass the cursor of"
            + " a \"next\" this list answered, unchanged (or none for the first page)"));
      }
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    return new Page(limit, after);
  }

  /**
   * The answer: the slice's rows and the URI of the next page (null after the last), which keeps the
   * request's {@code filters} (name, value; a null value left out).
   */
  JsonObject answer(RoutingContext rc, String list, Slice slice, Page page, String... filters) {
    String next = null;
    if (slice.next() != null) {
      StringBuilder uri = new StringBuilder(rc.request().path()).append("?cursor=").append(encode(list, slice.next()))
          .append("&limit=").append(page.limit());
      for (int i = 0; i < filters.length; i += 2) {
        if (filters[i + 1] != null) {
          uri.append('&').append(filters[i]).append('=')
              .append(URLEncoder.encode(filters[i + 1], StandardCharsets.UTF_8));
        }
      }
      next = uri.toString();
    }
    return new JsonObject().put("data", new JsonArray(List.copyOf(slice.data()))).put("next", next);
  }

  /** The cursor after {@code key} in {@code list}: base64url of {@code list|epoch microseconds|id}, a dot, its MAC. */
  String encode(String list, Slice.Key key) {
    Instant at = key.createdAt().toInstant();
    long micros = Math.addExact(Math.multiplyExact(at.getEpochSecond(), MICROS), at.getNano() / 1_000);
    String payload = ENCODER.encodeToString((list + "|" + micros + "|" + key.id()).getBytes(StandardCharsets.UTF_8));
    return payload + "." + ENCODER.encodeToString(sign(payload));
  }

  /**
   * The key a cursor of {@code list} carries, or null when it is not one: its MAC does not verify (edited,
   * forged, another cluster's, or of the unsigned form cursors had before), or it is of another list.
   */
  Slice.Key decode(String list, String cursor) {
    int dot = cursor.indexOf('.');
    if (dot <= 0 || cursor.length() > MAX_CURSOR) {
      return null;
    }
    try {
      String payload = cursor.substring(0, dot);
      if (!MessageDigest.isEqual(sign(payload), DECODER.decode(cursor.substring(dot + 1)))) {
        return null;
      }
      String[] parts = new String(DECODER.decode(payload), StandardCharsets.UTF_8).split("\\|", -1);
      if (parts.length != 3 || !parts[0].equals(list)) {
        return null;
      }
      long micros = Long.parseLong(parts[1]);
      if (micros < 0) {
        return null; // before 1970: no row this API listed, and beyond what PostgreSQL may accept
      }
      Instant at = Instant.ofEpochSecond(Math.floorDiv(micros, MICROS), Math.floorMod(micros, MICROS) * 1_000);
      UUID id = UUID.fromString(parts[2]);
      if (!id.toString().equals(parts[2])) {
        return null; // UUID.fromString accepts short forms; a cursor this API made never has one
      }
      return new Slice.Key(OffsetDateTime.ofInstant(at, ZoneOffset.UTC), id);
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      return null;
    }
  }

  private byte[] sign(String payload) {
    return Arrays.copyOf(mac.digest(payload), MAC_BYTES);
  }
}
