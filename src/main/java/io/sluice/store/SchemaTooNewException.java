package io.sluice.store;

/**
 * The database holds migrations this build does not know: it was migrated by a newer Sluice. Starting
 * anyway could misread or damage data written in a shape this code has never seen, so the node refuses.
 */
public final class SchemaTooNewException extends RuntimeException {

  private final String databaseVersion;
  private final String knownVersion;

  public SchemaTooNewException(String databaseVersion, String knownVersion) {
    super("the configuration database is at schema version " + databaseVersion
        + ", newer than this build of Sluice knows (" + knownVersion + "): run a Sluice at least as new as the"
        + " one that migrated it, or point this node at another database");
    this.databaseVersion = databaseVersion;
    this.knownVersion = knownVersion;
  }

  public String databaseVersion() {
    return databaseVersion;
  }

  public String knownVersion() {
    return knownVersion;
  }
}
