package io.sluice.policy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.credential.Consumer;
import io.sluice.metrics.Meters;

/**
 * What an authentication policy does once it knows the consumer: records it on the call (for later policies
 * and the access record) and tells the upstream who called, in headers the client cannot forge (any it sent
 * are replaced).
 */
public final class Consumers {

  public static final String ID = "X-Consumer-ID";
  public static final String USERNAME = "X-Consumer-Username";
  public static final String CUSTOM_ID = "X-Consumer-Custom-ID";

  /** Credentials of another tenant than the route's, refused as unknown ones: by reason. */
  public static final String CROSS_TENANT = Meters.AUTH_CROSS_TENANT;

  private Consumers() {}

  /**
   * The counter of refusals of credentials that belong to another tenant than the route's, for one reason
   * ({@code api_key}, {@code jwt}). The client is answered exactly as for an unknown credential.
   */
  public static Counter crossTenant(MeterRegistry registry, String reason) {
    return Counter.builder(CROSS_TENANT).tag("reason", reason)
        .description("Credentials refused because they belong to another tenant than the route's")
        .register(registry);
  }

  public static void identify(PolicyCall call, Consumer consumer, String credentialId) {
    call.authenticate(consumer, credentialId);
    call.setUpstreamHeader(ID, HeaderValues.utf8(consumer.id()));
    call.setUpstreamHeader(USERNAME, HeaderValues.utf8(consumer.username()));
    if (consumer.customId() != null) {
      call.setUpstreamHeader(CUSTOM_ID, HeaderValues.utf8(consumer.customId()));
    } // a client's own X-Consumer-* never go upstream (see proxy's HopByHop)
  }
}
