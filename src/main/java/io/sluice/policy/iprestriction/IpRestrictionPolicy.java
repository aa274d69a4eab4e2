package io.sluice.policy.iprestriction;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sluice.config.PluginDef;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import java.util.List;

/**
 * ip-restriction: allow or deny client addresses by CIDR block (deny wins; with an allow list, only its
 * blocks pass). The client address is the connection's peer, unless that peer is a trusted proxy: then
 * X-Forwarded-For is read from the right, skipping trusted proxies, and the first other address is the
 * client (a client cannot put itself on the allow list by sending the header itself).
 */
public final class IpRestrictionPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("ip-restriction", 1990, IpRestrictionPolicy::create);

  /** ip-restriction's configuration (schema/policy/ip-restriction.json). */
  public record Config(List<String> allow, List<String> deny,
                       @JsonProperty("trusted_proxies") List<String> trustedProxies) {}

  private final List<Cidr> allow;
  private final List<Cidr> deny;
  private final List<Cidr> trusted;

  private IpRestrictionPolicy(Config c) {
    this.allow = c.allow().stream().map(Cidr::parse).toList();
    this.deny = c.deny().stream().map(Cidr::parse).toList();
    this.trusted = c.trustedProxies().stream().map(Cidr::parse).toList();
  }

  /** Every block that does not parse as an address (the schema's pattern lets some IPv6 nonsense through). */
  public static List<io.sluice.config.FieldError> check(com.fasterxml.jackson.databind.JsonNode config) {
    List<io.sluice.config.FieldError> errors = new java.util.ArrayList<>();
    for (String list : List.of("allow", "deny", "trusted_proxies")) {
      com.fasterxml.jackson.databind.JsonNode arr = config.path(list);
      for (int i = 0; i < arr.size(); i++) {
        try {
          Cidr.parse(arr.get(i).asText());
        } catch (RuntimeException e) {
          errors.add(new io.sluice.config.FieldError("config." + list + "[" + i + "]", e.getMessage()));
        }
      }
    }
    return errors;
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new IpRestrictionPolicy(PolicyType.config(plugin, Config.class));
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    byte[] client = clientAddress(call);
    boolean ok = client != null && !any(deny, client) && (allow.isEmpty() || any(allow, client));
    if (!ok) {
      return Future.failedFuture(Refusal.forbidden("your IP address is not allowed"));
    }
    return CONTINUE;
  }

  private byte[] clientAddress(PolicyCall call) {
    var remote = call.request().remoteAddress();
    byte[] peer = remote == null ? null : Cidr.literal(remote.host());
    if (peer == null || trusted.isEmpty() || !any(trusted, peer)) {
      return peer;
    }
    List<String> xff = call.request().headers().getAll("X-Forwarded-For");
    byte[] client = peer;
    for (int h = xff.size() - 1; h >= 0; h--) {
      String[] hops = xff.get(h).split(",");
      for (int i = hops.length - 1; i >= 0; i--) {
        byte[] hop = Cidr.literal(hops[i].trim());
        if (hop == null) {
          return client; // unreadable: stop at the last address we could trust
        }
        client = hop;
        if (!any(trusted, hop)) {
          return hop;
        }
      }
    }
    return client;
  }

  private static boolean any(List<Cidr> blocks, byte[] ip) {
    for (Cidr c : blocks) {
      if (c.contains(ip)) {
        return true;
      }
    }
    return false;
  }
}
