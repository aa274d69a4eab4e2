package io.sluice.sync;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Which database a local snapshot is the state of, so that a node never serves another database's configuration:
 * the server and database named by pg.url (host, port, database; never the credentials), and, once the database
 * answered, PostgreSQL's system identifier (the cluster, from initdb) and the database's OID (a database dropped
 * and created again has a new one). A node that starts with PostgreSQL down knows only the first part: that part
 * must match; the identifiers are compared when both sides know them.
 */
public record DatabaseIdentity(String host, int port, String database, String systemIdentifier, Long databaseOid) {

  public DatabaseIdentity {
    // Host names are case-insensitive; a Unix socket directory (or the embedded server's data directory) is not.
    host = host.startsWith("/") ? host : host.toLowerCase(Locale.ROOT);
  }

  /** The identity pg.url names, before anything is known from the server itself. */
  public static DatabaseIdentity of(String host, int port, String database) {
    return new DatabaseIdentity(host, port, database, null, null);
  }

  /** The same database, with what its server said of itself. */
  public DatabaseIdentity learned(String systemIdentifier, Long databaseOid) {
    return new DatabaseIdentity(host, port, database, systemIdentifier, databaseOid);
  }

  /** {@code host:port/database}: what pg.url names. */
  public String address() {
    return host + ":" + port + "/" + database;
  }

  /** Eight hex digits of SHA-256 over {@link #address()}: part of the default snapshot file name. */
  public String shortHash() {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(address().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether a snapshot of {@code other} is this database's: same address, and no known identifier differs. */
  public boolean sameDatabase(DatabaseIdentity other) {
    return address().equals(other.address())
        && (systemIdentifier == null || other.systemIdentifier == null
            || systemIdentifier.equals(other.systemIdentifier))
        && (databaseOid == null || other.databaseOid == null || databaseOid.equals(other.databaseOid));
  }

  /** For log lines: the address, then the identifiers known. */
  @Override
  public String toString() {
    return address() + (systemIdentifier == null ? "" : " (system identifier " + systemIdentifier
        + (databaseOid == null ? "" : ", database OID " + databaseOid) + ")");
  }

  JsonObject toJson() {
    JsonObject j = new JsonObject().put("host", host).put("port", port).put("database", database);
    if (systemIdentifier != null) {
      j.put("system_identifier", systemIdentifier);
    }
    if (databaseOid != null) {
      j.put("database_oid", databaseOid);
    }
    return j;
  }

  /** The identity a snapshot names, or null when it names none (or not all of host, port and database). */
  static DatabaseIdentity fromJson(JsonObject j) {
    if (j == null || j.getString("host") == null || j.getInteger("port") == null || j.getString("database") == null) {
      return null;
    }
    return new DatabaseIdentity(j.getString("host"), j.getInteger("port"), j.getString("database"),
        j.getString("system_identifier"), j.getLong("database_oid"));
  }

}
