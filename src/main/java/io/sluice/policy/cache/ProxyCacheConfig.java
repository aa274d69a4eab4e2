package io.sluice.policy.cache;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** proxy-cache's configuration (schema/policy/proxy-cache.json has the defaults and descriptions). */
public record ProxyCacheConfig(@JsonProperty("ttl_s") long ttlS, List<String> methods,
                               @JsonProperty("status_codes") List<Integer> statusCodes,
                               @JsonProperty("vary_headers") List<String> varyHeaders,
                               @JsonProperty("respect_cache_control") boolean respectCacheControl,
                               @JsonProperty("max_body_bytes") long maxBodyBytes,
                               boolean shared) {}
