package io.sluice.policy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.credential.Consumer;
import io.sluice.metrics.Meters;
import java.nio.charset.StandardCharsets;

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
    call.setUpstreamHeader(ID, headerValue(consumer.id()));
    call.setUpstreamHeader(USERNAME, headerValue(consumer.username()));
    if (consumer.customId() != null) {
      call.setUpstreamHeader(CUSTOM_ID, headerValue(consumer.customId()));
    } // a client's own X-Consumer-* never go upstream (see proxy's HopByHop)
  }

  /**
   * {@code value} as the octets of a header field: its UTF-8 bytes, one char per byte. The header encoders
   * (HTTP/1.1's and HPACK) write a char up to 0xFF as that byte and any other as {@code ?}, so consumers 张三 and
   * 李四 both reached the upstream as {@code ??}; RFC 9110 section 5.5 allows the bytes 0x80 to 0xFF (obs-text) in a
   * value, and an upstream reading it as UTF-8 (as Kong's and nginx's do) gets the name back. A CR or LF, which
   * would end the line, becomes a space (stored names are refused control characters when written).
   */
  public static String headerValue(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= 0x80 || c == '\r' || c == '\n') {
        byte[] utf8 = value.replace('\r', ' ').replace('\n', ' ').getBytes(StandardCharsets.UTF_8);
        return new String(utf8, StandardCharsets.ISO_8859_1);
      }
    }
    return value; // ASCII: its bytes already (most names, and every id)
  }
}
