package io.sluice.policy.jwt;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** jwt's configuration (schema/policy/jwt.json has the defaults and descriptions). */
public record JwtConfig(@JsonProperty("header_names") List<String> headerNames,
                        @JsonProperty("uri_param_names") List<String> uriParamNames,
                        List<String> audiences,
                        @JsonProperty("clock_skew_s") long clockSkewS,
                        @JsonProperty("require_exp") boolean requireExp) {}
