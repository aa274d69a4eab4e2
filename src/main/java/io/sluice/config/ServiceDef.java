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
                         Tls tls,
                         @JsonProperty("health_check") HealthCheck healthCheck) {

  /** A service without TLS settings nor an active health check. */
  public ServiceDef(String name, String tenant, String path, List<Target> targets, LoadBalancing loadBalancing,
                    int retries, Backoff retryBackoff, Timeouts timeouts, CircuitBreaker circuitBreaker) {
    this(name, tenant, path, targets, loadBalancing, retries, retryBackoff, timeouts, circuitBreaker, null, null);
  }

  /** The same service in {@code tenant}. */
  public ServiceDef withTenant(String tenant) {
    return new ServiceDef(name, tenant, path, targets, loadBalancing, retries, retryBackoff, timeouts, circuitBreaker,
        tls, healthCheck);
  }

  public record Target(String address, int weight) {}

  public record LoadBalancing(String algorithm, @JsonProperty("hash_on") String hashOn) {}

  public record Backoff(@JsonProperty("base_ms") long baseMs, @JsonProperty("cap_ms") long capMs) {}

  public record Timeouts(@JsonProperty("connect_ms") long connectMs, @JsonProperty("read_ms") long readMs,
                         @JsonProperty("idle_ms") long idleMs) {}

  public record CircuitBreaker(int failures, @JsonProperty("open_ms") long openMs) {}

  /**
   * TLS to https:// and h2:// targets; absent: verified against the system's trust store, no client certificate.
   * {@code clientCertificate}: the id of a certificate entity (of the service's tenant) whose chain and key are
   * presented to targets that ask for a client certificate (mTLS to upstreams).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Tls(Boolean verify, @JsonProperty("ca_bundle") String caBundle,
                    @JsonProperty("client_certificate") String clientCertificate) {

    public boolean verifies() {
      return verify == null || verify;
    }
  }

  /**
   * Active probing of every target (absent: none). {@code type} http sends {@code GET path} and expects one of
   * {@code expected_statuses} (empty: any 2xx or 3xx); tcp only connects. A target is taken out after
   * {@code unhealthy_threshold} failed probes in a row, and put back after {@code healthy_threshold} good ones;
   * a returning target's share of traffic ramps up over {@code slow_start_ms}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record HealthCheck(String type, String path, String host,
                            @JsonProperty("interval_ms") long intervalMs,
                            @JsonProperty("timeout_ms") long timeoutMs,
                            @JsonProperty("healthy_threshold") int healthyThreshold,
                            @JsonProperty("unhealthy_threshold") int unhealthyThreshold,
                            @JsonProperty("expected_statuses") List<Integer> expectedStatuses,
                            @JsonProperty("slow_start_ms") long slowStartMs) {

    public boolean tcp() {
      return "tcp".equals(type);
    }

    public boolean expects(int status) {
      return expectedStatuses == null || expectedStatuses.isEmpty()
          ? status >= 200 && status < 400 : expectedStatuses.contains(status);
    }
  }
}
