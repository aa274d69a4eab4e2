package io.sluice.sync;

import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * Which database a local snapshot is the state of, so that a node never serves another database's configuration:
 * the server and database named by pg.url (host, port, database; never the credentials), and, once the database
 * answered, PostgreSQL's system identifier (the cluster, from initdb) and the database's OID (a database dropped
 * and created again has a new one). The identifiers decide when both sides know them, whatever the address; a node
 * that starts with PostgreSQL down knows only the address, which must then name the same server (its host spelled
 * alike, or resolving to a common address: localhost and 127.0.0.1), port and database.
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

  /**
   * Whether a snapshot of {@code other} is this database's: the same system identifier and database OID when both
   * sides know both (pg.url may spell the server differently on each side); otherwise the same server, port and
   * database name, and no known identifier differs. May resolve host names: blocking.
   */
  public boolean sameDatabase(DatabaseIdentity other) {
    if (systemIdentifier != null && databaseOid != null && other.systemIdentifier != null
        && other.databaseOid != null) {
      return systemIdentifier.equals(other.systemIdentifier) && databaseOid.equals(other.databaseOid);
    }
    return port == other.port && database.equals(other.database) && sameHost(other.host)
        && (systemIdentifier == null || other.systemIdentifier == null
            || systemIdentifier.equals(other.systemIdentifier))
        && (databaseOid == null || other.databaseOid == null || databaseOid.equals(other.databaseOid));
  }

  /**
   * Whether {@code other} names this host: spelled alike, or resolving to a common address now (an address literal
   * needs no lookup, localhost only the hosts file). A name that does not resolve (DNS down along with the database)
   * is the same only spelled alike; a Unix socket directory is compared as written.
   */
  private boolean sameHost(String other) {
    if (host.equals(other)) {
      return true;
    }
    if (host.startsWith("/") || other.startsWith("/")) {
      return false;
    }
    try {
      Set<InetAddress> mine = new HashSet<>(Arrays.asList(InetAddress.getAllByName(host)));
      mine.retainAll(Arrays.asList(InetAddress.getAllByName(other)));
      return !mine.isEmpty();
    } catch (UnknownHostException | SecurityException unresolved) {
      return false;
    }
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
