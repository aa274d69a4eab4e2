package io.sluice.policy.ratelimit;

import com.fasterxml.jackson.annotation.JsonProperty;

/** rate-limiting's configuration (schema/policy/rate-limiting.json has the defaults and descriptions). */
public record RateLimitConfig(Long second, Long minute, Long hour,
                              @JsonProperty("limit_by") String limitBy,
                              @JsonProperty("header_name") String headerName,
                              String policy,
                              @JsonProperty("fault_tolerant") boolean faultTolerant,
                              @JsonProperty("hide_client_headers") boolean hideClientHeaders) {}
