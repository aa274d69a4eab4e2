package io.sluice.credential;

import java.util.List;

/**
 * A consumer as the policies see it: who called, in which tenant (its id, and its name as routes name it),
 * and the groups the acl policy checks. Immutable, so one instance may sit in a cache and be shared by
 * every event loop.
 */
public record Consumer(String id, String tenantId, String username, String customId, List<String> groups,
                       String tenant) {

  public Consumer {
    groups = groups == null ? List.of() : List.copyOf(groups);
  }

  /** A consumer whose tenant name is not known (tests of the cache alone). */
  public Consumer(String id, String tenantId, String username, String customId, List<String> groups) {
    this(id, tenantId, username, customId, groups, null);
  }

  /** Whether this consumer belongs to the tenant named {@code tenant} (a route's tenant). */
  public boolean of(String tenant) {
    return this.tenant != null && this.tenant.equals(tenant);
  }
}
