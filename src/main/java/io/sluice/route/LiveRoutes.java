package io.sluice.route;

/**
 * The node's current route table, swapped whole when the configuration changes. A request reads it once at
 * its start and finishes on the table it started with.
 */
public final class LiveRoutes {

  private volatile RouteTable current = RouteTable.EMPTY;
  private volatile boolean loaded;

  public RouteTable current() {
    return current;
  }

  public void swap(RouteTable table) {
    current = table;
    loaded = true;
  }

  /** Whether a configuration has been applied at least once (readiness). */
  public boolean loaded() {
    return loaded;
  }
}
