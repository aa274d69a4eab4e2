package io.sluice.policy.acl;

import io.sluice.config.PluginDef;
import io.sluice.credential.Consumer;
import io.sluice.policy.HeaderValues;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import java.util.Set;

/**
 * acl: allows or denies consumers by their groups. It runs after authentication (priority below key-auth
 * and jwt): no consumer answers 401, a consumer in a denied group, or in none of the allowed ones, 403.
 * Deny wins over allow. The consumer's groups go upstream in X-Consumer-Groups unless hidden.
 */
public final class AclPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("acl", 950, AclPolicy::create);
  public static final String GROUPS_HEADER = "X-Consumer-Groups";

  private final Set<String> allow;
  private final Set<String> deny;
  private final boolean hideGroups;

  private AclPolicy(AclConfig config) {
    this.allow = Set.copyOf(config.allow());
    this.deny = Set.copyOf(config.deny());
    this.hideGroups = config.hideGroupsHeader();
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new AclPolicy(PolicyType.config(plugin, AclConfig.class));
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    Consumer c = call.consumer();
    if (c == null) {
      return Future.failedFuture(Refusal.unauthorized("authentication is required to use this route",
          "Key realm=\"sluice\""));
    }
    boolean denied = false;
    boolean allowed = allow.isEmpty();
    for (String g : c.groups()) {
      denied |= deny.contains(g);
      allowed |= allow.contains(g);
    }
    if (denied || !allowed) {
      return Future.failedFuture(Refusal.forbidden("consumer is not allowed on this route"));
    }
    if (hideGroups) {
      call.removeUpstreamHeader(GROUPS_HEADER);
    } else {
      call.setUpstreamHeader(GROUPS_HEADER, HeaderValues.utf8(String.join(", ", c.groups())));
    }
    return CONTINUE;
  }
}
