package io.sluice.policy;

import io.sluice.credential.Consumer;

/**
 * What an authentication policy does once it knows the consumer: records it on the call (for later policies
 * and the access record) and tells the upstream who called, in headers the client cannot forge (any it sent
 * are replaced).
 */
public final class Consumers {

  public static final String ID = "X-Consumer-ID";
  public static final String USERNAME = "X-Consumer-Username";
  public static final String CUSTOM_ID = "X-Consumer-Custom-ID";

  private Consumers() {}

  public static void identify(PolicyCall call, Consumer consumer, String credentialId) {
    call.authenticate(consumer, credentialId);
    call.setUpstreamHeader(ID, consumer.id());
    call.setUpstreamHeader(USERNAME, consumer.username());
    if (consumer.customId() != null) {
      call.setUpstreamHeader(CUSTOM_ID, consumer.customId());
    } // a client's own X-Consumer-* never go upstream (see proxy's HopByHop)
  }
}
