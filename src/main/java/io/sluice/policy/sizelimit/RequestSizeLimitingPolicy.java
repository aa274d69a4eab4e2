package io.sluice.policy.sizelimit;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sluice.config.PluginDef;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;

/**
 * request-size-limiting: a body larger than the limit answers 413, at once when Content-Length declares it,
 * while streaming otherwise (the bytes counted on the way up; the upstream request is reset, so the target
 * never gets a complete oversized body). {@code require_content_length} answers 411 to a body without one, over
 * HTTP/1.1 (chunked) and HTTP/2 (DATA frames after a head without content-length) alike.
 */
public final class RequestSizeLimitingPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("request-size-limiting", 1950,
      RequestSizeLimitingPolicy::create);

  /** request-size-limiting's configuration (schema/policy/request-size-limiting.json). */
  public record Config(@JsonProperty("allowed_payload_size") long allowedPayloadSize,
                       @JsonProperty("size_unit") String sizeUnit,
                       @JsonProperty("require_content_length") boolean requireContentLength) {}

  private final long limit;
  private final boolean requireLength;

  private RequestSizeLimitingPolicy(Config c) {
    long unit = switch (c.sizeUnit()) {
      case "bytes" -> 1;
      case "kilobytes" -> 1024;
      default -> 1024 * 1024;
    };
    this.limit = c.allowedPayloadSize() * unit;
    this.requireLength = c.requireContentLength();
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new RequestSizeLimitingPolicy(PolicyType.config(plugin, Config.class));
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    String cl = call.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    if (cl != null) {
      if (Long.parseLong(cl.trim()) > limit) { // the framing guard has already refused a non-numeric one
        return Future.failedFuture(new Refusal(413, "body_too_large",
            "request body of " + cl.trim() + " bytes exceeds " + limit));
      }
    } else if (requireLength && call.hasBody()) {
      // Chunked over HTTP/1.1; over HTTP/2, a stream not ended with its headers and no content-length.
      return Future.failedFuture(new Refusal(411, "length_required", "a request body needs Content-Length"));
    }
    call.maxBodyBytes(limit);
    return CONTINUE;
  }
}
