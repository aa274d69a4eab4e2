package io.sluice.policy.keyauth;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** key-auth's configuration (schema/policy/key-auth.json has the defaults and descriptions). */
public record KeyAuthConfig(@JsonProperty("key_names") List<String> keyNames,
                            @JsonProperty("key_in_header") boolean keyInHeader,
                            @JsonProperty("key_in_query") boolean keyInQuery) {}
