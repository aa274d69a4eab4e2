package io.sluice.credential;

import java.util.List;

/**
 * A consumer as the policies see it: who called, in which tenant, and the groups the acl policy checks.
 * Immutable, so one instance may sit in a cache and be shared by every event loop.
 */
public record Consumer(String id, String tenantId, String username, String customId, List<String> groups) {

  public Consumer {
    groups = groups == null ? List.of() : List.copyOf(groups);
  }
}
