package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** An upstream service as declared: where requests go and how they are balanced, retried and timed out. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ServiceDef(String name, String tenant, String path, List<Target> targets,
                         @JsonProperty("load_balancing") LoadBalancing loadBalancing,
                         int retries,
                         @JsonProperty("retry_backoff") Backoff retryBackoff,
                         Timeouts timeouts,
                         @JsonProperty("circuit_breaker") CircuitBreaker circuitBreaker,
                         Tls tls) {

  /** The same service owned by {@code tenant}. */
  public ServiceDef withTenant(String tenant) {
    return new ServiceDef(name, tenant, path, targets, loadBalancing, retries, retryBackoff, timeouts, circuitBreaker,
        tls);
  }

  public record Target(String address, int weight) {}

  public record LoadBalancing(String algorithm, @JsonProperty("hash_on") String hashOn) {}

  public record Backoff(@JsonProperty("base_ms") long baseMs, @JsonProperty("cap_ms") long capMs) {}

  public record Timeouts(@JsonProperty("connect_ms") long connectMs, @JsonProperty("read_ms") long readMs,
                         @JsonProperty("idle_ms") long idleMs) {}

  public record CircuitBreaker(int failures, @JsonProperty("open_ms") long openMs) {}

  /** TLS to https:// and h2:// targets; absent: verified against the system's trust store. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Tls(Boolean verify, @JsonProperty("ca_bundle") String caBundle) {

    public boolean verifies() {
      return verify == null || verify;
    }
  }
}
