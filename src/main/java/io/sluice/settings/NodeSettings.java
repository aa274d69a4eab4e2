package io.sluice.settings;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The validated settings of one node, built from conf/sluice.yaml, the environment and the defaults of
 * {@code schema/sluice-settings.json}. Field names follow the YAML keys.
 */
public record NodeSettings(Node node, Proxy proxy, Upstream upstream, Admin admin, Pg pg, Keys keys, Redis redis,
                           Cluster cluster, Sync sync, Consumers consumers,
                           @JsonProperty("routes_file") String routesFile, Log log,
                           Kafka kafka, Spool spool, Stream stream, Tls tls,
                           Discovery discovery, Tracing tracing) {

  /** routes_file when the settings name none (relative to the working directory). */
  public static final String DEFAULT_ROUTES_FILE = "conf/routes.yaml";


  /** OpenTelemetry tracing of proxied requests (off by default). */
  public record Tracing(boolean enabled, @JsonProperty("otlp_endpoint") String otlpEndpoint,
                        @JsonProperty("sample_per_million") int samplePerMillion,
                        @JsonProperty("queue_size") int queueSize) {}

  /**
   * Discovery of upstream targets: the DNS servers and the bounds on how long an answer is used; where the
   * Kubernetes API of k8s:// targets is (a URL, a kubeconfig file, or neither: in-cluster, else ~/.kube/config).
   */
  public record Discovery(@JsonProperty("dns_servers") String dnsServers,
                          @JsonProperty("dns_min_ttl_s") int dnsMinTtlS,
                          @JsonProperty("dns_max_ttl_s") int dnsMaxTtlS,
                          @JsonProperty("dns_timeout_ms") long dnsTimeoutMs,
                          @JsonProperty("kubernetes_api") String kubernetesApi,
                          @JsonProperty("kubeconfig") String kubeconfig) {}

  /** How nodes find each other; discovery none is a single node without Hazelcast. */
  public record Cluster(String discovery, String name, String members, String host, int port,
                        @JsonProperty("event_bus_port") int eventBusPort, Kubernetes kubernetes) {

    public boolean enabled() {
      return !"none".equals(discovery);
    }
  }

  public record Kubernetes(String namespace, @JsonProperty("service_name") String serviceName) {}

  public record Sync(@JsonProperty("reconcile_interval_ms") long reconcileIntervalMs,
                     @JsonProperty("change_log_retention_hours") long changeLogRetentionHours,
                     @JsonProperty("history_retention_hours") long historyRetentionHours) {}

  /** The consumer and credential cache (near-cache per node, a Hazelcast map per cluster). */
  public record Consumers(@JsonProperty("cache_size") int cacheSize, @JsonProperty("cache_ttl_s") int cacheTtlS,
                          @JsonProperty("negative_ttl_s") int negativeTtlS) {}

  /**
   * Where the configuration lives: a PostgreSQL URL, {@value #AUTO} (the machine's server, else an embedded
   * one), {@value #EMBEDDED} (always the embedded one), or empty (routes_file alone).
   */
  public record Pg(String url, @JsonProperty("pool_size") int poolSize,
                   @JsonProperty("prepared_statements") boolean preparedStatements) {

    /** pg.url for the machine's own PostgreSQL at {@link #LOCAL_URL}, or an embedded one when none answers. */
    public static final String AUTO = "auto";
    /** pg.url for a PostgreSQL started by the node itself, its data under node.data_dir. */
    public static final String EMBEDDED = "embedded";
    /** The machine's own PostgreSQL as pg.url auto reaches it (trust authentication, as a fresh install has). */
    public static final String LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/sluice";

    public boolean enabled() {
      return !url.isBlank();
    }
  }

  /** The node's name, the directory of its own state (see Pg.EMBEDDED) and its network transport. */
  public record Node(String name, @JsonProperty("data_dir") String dataDir, String transport) {}

  public record Proxy(String host, int port, int instances,
                      @JsonProperty("max_header_bytes") int maxHeaderBytes,
                      @JsonProperty("max_initial_line_bytes") int maxInitialLineBytes,
                      @JsonProperty("max_body_bytes") long maxBodyBytes,
                      @JsonProperty("client_idle_timeout_s") int clientIdleTimeoutS,
                      @JsonProperty("drain_timeout_ms") long drainTimeoutMs,
                      @JsonProperty("max_headers") int maxHeaders,
                      @JsonProperty("body_timeout_ms") long bodyTimeoutMs,
                      @JsonProperty("body_min_rate") long bodyMinRate,
                      @JsonProperty("merge_slashes") boolean mergeSlashes,
                      @JsonProperty("allow_path_semicolons") boolean allowPathSemicolons,
                      boolean h2c,
                      @JsonProperty("tls_enabled") boolean tlsEnabled,
                      @JsonProperty("tls_port") int tlsPort,
                      @JsonProperty("h2_max_resets") int h2MaxResets,
                      @JsonProperty("h2_reset_window_s") int h2ResetWindowS,
                      @JsonProperty("websocket_max_frame_bytes") int websocketMaxFrameBytes,
                      @JsonProperty("header_timeout_ms") long headerTimeoutMs) {}

  public record Upstream(@JsonProperty("pool_max_size") int poolMaxSize,
                         @JsonProperty("pool_idle_timeout_s") int poolIdleTimeoutS,
                         @JsonProperty("pool_max_wait_queue") int poolMaxWaitQueue,
                         @JsonProperty("route_pool_share_percent") int routePoolSharePercent) {}

  /** The admin listener; its read and idle timeouts are those of {@link io.sluice.util.ReadTimeouts}. */
  public record Admin(String host, int port, String token,
                      @JsonProperty("tls_cert_file") String tlsCertFile,
                      @JsonProperty("tls_key_file") String tlsKeyFile,
                      @JsonProperty("header_timeout_ms") long headerTimeoutMs,
                      @JsonProperty("body_timeout_ms") long bodyTimeoutMs,
                      @JsonProperty("idle_timeout_s") int idleTimeoutS) {}

  /** Secrets for credentials; hmacSecret keys the API key digests. */
  public record Keys(@JsonProperty("hmac_secret") String hmacSecret,
                     @JsonProperty("encryption_secret") String encryptionSecret) {}

  /**
   * The TLS listeners: versions and cipher suites (all of them), ALPN h2 and client certificates (the proxy's).
   */
  public record Tls(String protocols, String ciphers, boolean http2,
                    @JsonProperty("client_auth") String clientAuth, String engine) {}

  public record Log(String level, String format) {}

  /**
   * Redis for the cluster-wide rate limits (and the response cache); the client is made with the first policy that
   * needs it, and connects on its first command.
   */
  public record Redis(String url, @JsonProperty("timeout_ms") long timeoutMs,
                      @JsonProperty("retry_ms") long retryMs) {}

  /**
   * The access-record log; an empty bootstrap means the in-process broker. {@code compression}: the producer's
   * compression.type (none, lz4, snappy, zstd, gzip).
   */
  public record Kafka(String bootstrap, String topic, int partitions,
                      @JsonProperty("retention_ms") long retentionMs,
                      @JsonProperty("data_dir") String dataDir,
                      @JsonProperty("embedded_port") int embeddedPort,
                      @JsonProperty("delivery_timeout_ms") int deliveryTimeoutMs,
                      @JsonProperty("linger_ms") int lingerMs,
                      String compression) {

    public boolean embedded() {
      return bootstrap.isBlank();
    }
  }

  /** Where access records wait while Kafka is unreachable, and how much of them. */
  public record Spool(String dir, @JsonProperty("max_bytes") long maxBytes, @JsonProperty("sync_ms") long syncMs) {}

  /** The access stream: export on/off and the /v1/stream listener. */
  public record Stream(boolean enabled, String host, int port,
                       @JsonProperty("cursor_secret") String cursorSecret,
                       @JsonProperty("slow_client_ms") long slowClientMs,
                       @JsonProperty("buffer_records") int bufferRecords,
                       @JsonProperty("default_tenant") String defaultTenant,
                       @JsonProperty("tls_cert_file") String tlsCertFile,
                       @JsonProperty("tls_key_file") String tlsKeyFile,
                       @JsonProperty("header_timeout_ms") long headerTimeoutMs,
                       @JsonProperty("body_timeout_ms") long bodyTimeoutMs,
                       @JsonProperty("idle_timeout_s") int idleTimeoutS) {}

  /** The node name, falling back to the host name when none is configured. */
  public String nodeName() {
    if (!node.name().isBlank()) {
      return node.name();
    }
    String host = System.getenv("HOSTNAME");
    if (host != null && !host.isBlank()) {
      return host;
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "sluice";
    }
  }

  public int proxyInstances() {
    return proxy.instances() > 0 ? proxy.instances() : Runtime.getRuntime().availableProcessors();
  }
}
