package io.sluice.stream.serve;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stream cursors: opaque to clients, signed here. A cursor names the tenant (its id), the partition holding
 * its records and the position of the last record delivered (the Kafka record's offset and the record's
 * index inside that batch), and carries an HMAC-SHA-256 (truncated to 128 bits)
 * under stream.cursor_secret, which every node of a cluster shares, so that any node can resume it and a
 * client can neither forge one nor use another tenant's.
 *
 * <p>Form: {@code base64url("2|partition|offset|index|tenant") + "." + base64url(mac)}. Version 1
 * ({@code "1|partition|offset|tenant"}, one access record per Kafka record) still resumes: after the whole
 * Kafka record it names.
 */
public final class Cursors {

  /** Used when stream.cursor_secret is empty: public, for development only (the node warns at start). */
  public static final String DEVELOPMENT_SECRET = "sluice-development-cursor-secret-do-not-use-in-production";
  private static final int MAC_BYTES = 16;
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  /** The index of a v1 cursor (and of a gap frame's cursor): the whole Kafka record was delivered. */
  static final int WHOLE = (1 << Ring.INDEX_BITS) - 1;

  /** A verified cursor's content: {@code pos} as {@link Ring#pos} (offset and index). */
  public record Position(String tenant, int partition, long pos, boolean legacy) {
    public long offset() {
      return pos >>> Ring.INDEX_BITS;
    }
  }

  /** Why a cursor was refused. */
  public static final class InvalidCursor extends Exception {
    private final boolean forged;

    InvalidCursor(String message, boolean forged) {
      super(message, null, false, false);
      this.forged = forged;
    }

    /** A cursor that is no cursor at all (not two base64 parts, or not a position) reads as a bad query. */
    static InvalidCursor malformed(String message) {
      return new InvalidCursor(message, false);
    }

    /** Its signature does not verify: forged, or signed by another cluster. */
    public boolean forged() {
      return forged;
    }
  }

  private final byte[] key;
  /** Mac instances are not thread-safe: one per thread (event loops and the tail command). */
  private final ThreadLocal<Mac> mac;

  public Cursors(String secret) {
    this.key = (secret == null || secret.isEmpty() ? DEVELOPMENT_SECRET : secret).getBytes(StandardCharsets.UTF_8);
    this.mac = ThreadLocal.withInitial(() -> {
      try {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(key, "HmacSHA256"));
        return m;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    });
  }

  /** The cursor of the record at position {@code pos} (see {@link Ring#pos}). */
  public String encode(String tenant, int partition, long pos) {
    byte[] payload = ("2|" + partition + "|" + (pos >>> Ring.INDEX_BITS) + "|" + (pos & WHOLE) + "|" + tenant)
        .getBytes(StandardCharsets.UTF_8);
    return B64.encodeToString(payload) + "." + B64.encodeToString(sign(payload));
  }

  /** Verifies the signature and decodes; the caller checks that the tenant is the subscriber's. */
  public Position decode(String cursor) throws InvalidCursor {
    int dot = cursor == null ? -1 : cursor.indexOf('.');
    if (dot <= 0 || cursor.length() > 1024) {
      throw InvalidCursor.malformed("malformed cursor");
    }
    byte[] payload;
    byte[] given;
    try {
      payload = Base64.getUrlDecoder().decode(cursor.substring(0, dot));
      given = Base64.getUrlDecoder().decode(cursor.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw InvalidCursor.malformed("malformed cursor");
    }
    if (!MessageDigest.isEqual(sign(payload), given)) {
      throw new InvalidCursor("cursor signature does not verify (forged, or from another cluster)", true);
    }
    String text = new String(payload, StandardCharsets.UTF_8);
    try {
      if (text.startsWith("1|")) {
        String[] parts = text.split("\\|", 4);
        if (parts.length != 4) {
          throw InvalidCursor.malformed("malformed cursor");
        }
        return new Position(parts[3], Integer.parseInt(parts[1]), Ring.pos(Long.parseLong(parts[2]), WHOLE), true);
      }
      String[] parts = text.split("\\|", 5);
      if (parts.length != 5 || !parts[0].equals("2")) {
        throw InvalidCursor.malformed("unknown cursor version");
      }
      int index = Integer.parseInt(parts[3]);
      long offset = Long.parseLong(parts[2]);
      if (index < 0 || index > WHOLE || offset < 0 || offset > (Long.MAX_VALUE >>> Ring.INDEX_BITS)) {
        throw InvalidCursor.malformed("malformed cursor");
      }
      return new Position(parts[4], Integer.parseInt(parts[1]), Ring.pos(offset, index), false);
    } catch (NumberFormatException e) {
      throw InvalidCursor.malformed("malformed cursor");
    }
  }

  private byte[] sign(byte[] payload) {
    return Arrays.copyOf(mac.get().doFinal(payload), MAC_BYTES);
  }
}
