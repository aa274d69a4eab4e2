package io.sluice.policy.cache;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A stored answer as one Redis string: {@link #MAGIC}, the length of the head (4 bytes, big-endian), the head
 * (JSON: status, the reason phrase when not the status's standard one, headers as [name, value] pairs, stored in
 * epoch seconds), then the body's raw bytes. A hit is one
 * GET whose body is a slice of what Redis sent, neither decoded nor copied: the previous format (one JSON object
 * with the body in base64, 4/3 of its size) made a hit on a multi-MB answer parse tens of MB within
 * redis.timeout_ms. Entries of that format, stored before, are still read until their TTL ends.
 */
record CacheEntry(int status, String reason, JsonArray headers, long stored, Buffer body) {

  /** Starts every entry of this format; a JSON entry of the previous one starts with '{'. */
  private static final byte[] MAGIC = {'S', 'P', 'C', 1};
  /** A head longer than this is not an entry of ours (the proxy's header limits keep real ones far below). */
  private static final int MAX_HEAD = 16 << 20;
  /**
   * Reads entries of the previous format: the body of the largest allowed answer (max_body_bytes at most 16 MiB)
   * is 22.4 M chars of base64, past Jackson's default longest string (20 M); 32 M leaves room for its headers.
   */
  private static final ObjectMapper LEGACY = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(32 << 20).build()).build());

  /** The entry as stored: magic, head length, head, body. */
  Buffer encode() {
    JsonObject json = new JsonObject().put("status", status).put("headers", headers).put("stored", stored);
    if (reason != null) {
      json.put("reason", reason); // absent from entries of earlier versions: the standard phrase
    }
    byte[] head = json.encode().getBytes(StandardCharsets.UTF_8);
    return Buffer.buffer(MAGIC.length + 4 + head.length + body.length()).appendBytes(MAGIC).appendInt(head.length)
        .appendBytes(head).appendBuffer(body);
  }

  /** The entry in {@code stored}, or null when it is neither this format nor the previous one, or is damaged. */
  static CacheEntry decode(Buffer stored) {
    try {
      if (stored.length() >= MAGIC.length + 4 && stored.getByte(0) == MAGIC[0] && stored.getByte(1) == MAGIC[1]
          && stored.getByte(2) == MAGIC[2] && stored.getByte(3) == MAGIC[3]) {
        int headLength = stored.getInt(MAGIC.length);
        int bodyStart = MAGIC.length + 4 + headLength;
        if (headLength < 0 || headLength > MAX_HEAD || bodyStart > stored.length()) {
          return null;
        }
        JsonObject head = new JsonObject(stored.slice(MAGIC.length + 4, bodyStart));
        return of(head, stored.slice(bodyStart, stored.length()));
      }
      if (stored.length() > 0 && stored.getByte(0) == '{') {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = LEGACY.readValue(stored.getBytes(), Map.class);
        JsonObject old = new JsonObject(map);
        return of(old, Buffer.buffer(old.getBinary("body")));
      }
      return null;
    } catch (IOException | DecodeException | ClassCastException | IllegalArgumentException
             | NullPointerException e) {
      return null; // damaged or foreign: a miss, stored anew
    }
  }

  private static CacheEntry of(JsonObject head, Buffer body) {
    JsonArray headers = head.getJsonArray("headers");
    for (int i = 0; i < headers.size(); i++) {
      JsonArray h = headers.getJsonArray(i);
      if (h.size() != 2 || !(h.getValue(0) instanceof String) || !(h.getValue(1) instanceof String)) {
        return null;
      }
    }
    return new CacheEntry(head.getInteger("status"), head.getString("reason"), headers, head.getLong("stored"), body);
  }
}
