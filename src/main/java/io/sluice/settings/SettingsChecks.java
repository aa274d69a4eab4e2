package io.sluice.settings;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks of settings a JSON Schema cannot express (URLs, lists, keys that go together): each adds a problem
 * naming its key, so that a bad value stops the start with exit 2 instead of failing later, or every request.
 * A URL that may carry a password is never echoed.
 */
final class SettingsChecks {

  /**
   * The highest database index Redis can have: SELECT takes a 32-bit index below the server's {@code databases},
   * itself at most 2^31 - 1. Which ones a server has (16 by default) only it knows: SELECT refuses the others.
   */
  static final int MAX_REDIS_DATABASE = Integer.MAX_VALUE - 1;

  private SettingsChecks() {}

  static void all(NodeSettings s, List<String> problems) {
    adminBinding(s.admin(), problems);
    pgUrl(s.pg().url(), problems);
    redisUrl(s.redis().url(), problems);
    // Checked even with tracing off: PUT /tracing can turn it on with this endpoint while the node runs.
    otlpEndpoint(s.tracing().otlpEndpoint(), problems);
    hostList("discovery.dns_servers", s.discovery().dnsServers(), 53, problems);
    // Checked whatever cluster.discovery says, as the DNS servers are: a typo is a typo even where unused today.
    hostList("cluster.members", s.cluster().members(), s.cluster().port(), problems);
    // A k8s:// target may be added to the configuration while the node runs, so it is checked before any is.
    kubernetesApi(s.discovery().kubernetesApi(), problems);
    if (!s.pg().enabled() && (s.routesFile() == null || s.routesFile().isEmpty())) {
      problems.add("routes_file: must not be empty without pg.url: such a node serves its routes file alone");
    }
    certAndKey("admin", s.admin().tlsCertFile(), s.admin().tlsKeyFile(), problems);
    if (s.stream().enabled()) { // a disabled stream listener's files are not read
      certAndKey("stream", s.stream().tlsCertFile(), s.stream().tlsKeyFile(), problems);
    }
    distinctPorts(s, problems);
    String defaultTenant = s.stream().defaultTenant();
    if (defaultTenant != null && !defaultTenant.isBlank()
        && !defaultTenant.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
      // A name was taken and matched no tenant's id: the unrouted requests' records went nowhere, silently.
      problems.add("stream.default_tenant: must be a tenant's id (GET /tenants/NAME answers it), not its name");
    }
    kafkaBootstrap(s.kafka().bootstrap(), problems);
    if (s.discovery().dnsMinTtlS() > s.discovery().dnsMaxTtlS()) {
      problems.add("discovery.dns_min_ttl_s: " + s.discovery().dnsMinTtlS() + " is above discovery.dns_max_ttl_s ("
          + s.discovery().dnsMaxTtlS() + ")");
    }
    if (!"none".equals(s.cluster().discovery()) && !isIpLiteral(s.cluster().host())) {
      // Hazelcast binds the interface of this address; a name failed its start ("No matching network interface").
      problems.add("cluster.host: must be this node's IP address (the interface Hazelcast binds), not a name");
    }
  }

  /**
   * Every listener on a port of its own. Vert.x shares a server socket between servers of one host and port, so two
   * listeners given the same port took turns accepting its connections: half the plain requests met the TLS
   * listener (or the stream's), and /health/ready flapped 200 and 404 where admin and stream shared one.
   */
  private static void distinctPorts(NodeSettings s, List<String> problems) {
    List<Listener> listeners = new ArrayList<>();
    listeners.add(new Listener("proxy.port", s.proxy().host(), s.proxy().port()));
    if (s.proxy().tlsEnabled()) {
      listeners.add(new Listener("proxy.tls_port", s.proxy().host(), s.proxy().tlsPort()));
    }
    listeners.add(new Listener("admin.port", s.admin().host(), s.admin().port()));
    if (s.stream().enabled()) {
      listeners.add(new Listener("stream.port", s.stream().host(), s.stream().port()));
    }
    for (int i = 0; i < listeners.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (listeners.get(i).overlaps(listeners.get(j))) {
          problems.add(listeners.get(i).key() + ": " + listeners.get(i).port() + " is also " + listeners.get(j).key()
              + ": each listener needs a port of its own");
          break;
        }
      }
    }
  }

  /** A listener's setting, address and port; port 0 (any free port) meets no other. */
  private record Listener(String key, String host, int port) {
    boolean overlaps(Listener o) {
      return port != 0 && port == o.port && (host.equals(o.host) || wildcard(host) || wildcard(o.host));
    }

    private static boolean wildcard(String host) {
      return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }
  }

  /** Kafka's client takes host:port only; anything else failed the start with "Failed to construct kafka producer". */
  private static void kafkaBootstrap(String bootstrap, List<String> problems) {
    for (String entry : bootstrap.split(",")) {
      // As Kafka's client reads an entry: an optional listener prefix (PLAINTEXT://), then host:port with the port
      // after the last colon (an IPv6 address may be bare or in brackets).
      String e = entry.trim().replaceFirst("^[A-Za-z_]+://", "");
      if (e.isEmpty()) {
        continue;
      }
      int colon = e.lastIndexOf(':');
      String host = colon < 0 ? "" : e.substring(0, colon).replace("[", "").replace("]", "");
      String port = colon < 0 ? "" : e.substring(colon + 1);
      boolean ok = !host.isEmpty() && !host.contains(" ") && port.matches("[0-9]{1,5}")
          && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535;
      if (!ok) {
        problems.add("kafka.bootstrap: every server is host:port (kafka.example:9092), not '" + entry.trim() + "'");
        return;
      }
    }
  }

  private static boolean isIpLiteral(String host) {
    return host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || host.contains(":") && host.matches("[0-9a-fA-F:.]+");
  }

  private static void adminBinding(NodeSettings.Admin admin, List<String> problems) {
    if (admin.token().isEmpty() && !isLoopback(admin.host())) {
      problems.add("admin.token: required when admin.host (" + admin.host() + ") is not a loopback address");
    }
  }

  /** A typo such as {@code Embedded} or a JDBC URL is named here rather than failing the start later. */
  private static void pgUrl(String url, List<String> problems) {
    if (url.isEmpty() || url.equals(NodeSettings.Pg.AUTO) || url.equals(NodeSettings.Pg.EMBEDDED)
        || url.startsWith("postgresql://") || url.startsWith("postgres://")) {
      return;
    }
    problems.add("pg.url: must be a postgresql:// URL, " + NodeSettings.Pg.AUTO + ", "
        + NodeSettings.Pg.EMBEDDED + " or empty" + (url.startsWith("jdbc:") ? " (without the jdbc: prefix)" : ""));
  }

  /** The schemes the Vert.x Redis client knows; anything else made it fail on every request. */
  private static void redisUrl(String url, List<String> problems) {
    URI uri = uri(url);
    String scheme = uri == null ? null : uri.getScheme();
    boolean tcp = "redis".equals(scheme) || "rediss".equals(scheme);
    boolean ok = uri != null && (tcp ? uri.getHost() != null && portOk(uri.getPort())
        : "unix".equals(scheme) && uri.getPath() != null && !uri.getPath().isEmpty());
    if (!ok) {
      problems.add("redis.url: must be a redis:// or rediss:// URL with a host (and a port from 1 to 65535), "
          + "or unix:// with a socket path");
      return;
    }
    // The database: the path of a redis(s):// URL, else its ?db= (the only place a unix:// URL has one).
    String path = tcp && uri.getPath() != null && uri.getPath().length() > 1 ? uri.getPath().substring(1) : null;
    String db = path != null ? path : queryParam(uri, "db");
    if (db != null && !redisDatabase(db)) {
      problems.add("redis.url: the database (the path after the port, or ?db=) must be a number from 0 to "
          + MAX_REDIS_DATABASE);
    }
  }

  /**
   * ASCII digits only: the Vert.x client parses the index when the client is made, and a value it cannot parse
   * (a name, a sign, a second path segment) made every Redis-backed policy fall back, every purge fail.
   */
  private static boolean redisDatabase(String db) {
    if (db.isEmpty() || db.length() > 10 || !db.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return false;
    }
    return Long.parseLong(db) <= MAX_REDIS_DATABASE;
  }

  /** The value of {@code name} in the URL's query (decoded), or null; the last one when given twice. */
  private static String queryParam(URI uri, String name) {
    String query = uri.getQuery();
    if (query == null) {
      return null;
    }
    String value = null;
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq != -1 && pair.substring(0, eq).equals(name)) {
        value = pair.substring(eq + 1);
      }
    }
    return value;
  }

  private static void otlpEndpoint(String url, List<String> problems) {
    if (!url.startsWith("http://") && !url.startsWith("https://")) {
      problems.add("tracing.otlp_endpoint: must start with http:// or https://");
      return;
    }
    URI uri = uri(url);
    if (uri == null || uri.getHost() == null || !portOk(uri.getPort())) {
      problems.add("tracing.otlp_endpoint: must be a URL with a host (and a port from 1 to 65535)");
    }
  }

  /** Hazelcast does not refuse a member it cannot use: the node started, alone, beside the cluster it was meant for. */
  private static void hostList(String key, String list, int defaultPort, List<String> problems) {
    try {
      HostPort.parseList(list, defaultPort);
    } catch (IllegalArgumentException e) {
      problems.add(key + ": " + e.getMessage());
    }
  }

  /**
   * fabric8 takes any string as the API's URL (one without a scheme becomes https://), so a bad value only showed
   * as k8s:// targets that never got endpoints. Credentials are not read from this URL, so one carrying them is
   * refused rather than sent in the clear to a proxy; the value is never echoed.
   */
  private static void kubernetesApi(String url, List<String> problems) {
    if (url.isEmpty()) {
      return;
    }
    URI uri = url.startsWith("http://") || url.startsWith("https://") ? uri(url) : null;
    if (uri == null || uri.getHost() == null || !portOk(uri.getPort())) {
      problems.add("discovery.kubernetes_api: must be empty or an http:// or https:// URL with a host "
          + "(and a port from 1 to 65535)");
    } else if (uri.getRawUserInfo() != null) {
      problems.add("discovery.kubernetes_api: must not carry credentials (use discovery.kubeconfig for them)");
    }
  }

  private static void certAndKey(String listener, String cert, String key, List<String> problems) {
    if (cert.isEmpty() != key.isEmpty()) {
      problems.add(listener + ".tls_cert_file and " + listener + ".tls_key_file: set both or neither ("
          + listener + (cert.isEmpty() ? ".tls_cert_file" : ".tls_key_file") + " is empty)");
    }
    // A file that cannot be read failed the listener later, exit 1, as if its host or port were wrong.
    for (String[] f : new String[][] {{"tls_cert_file", cert}, {"tls_key_file", key}}) {
      if (!cert.isEmpty() && !key.isEmpty() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(f[1]))) {
        problems.add(listener + "." + f[0] + ": cannot read " + f[1]);
      }
    }
  }

  private static URI uri(String url) {
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** -1 is a URL without a port (the scheme's default). */
  private static boolean portOk(int port) {
    return port == -1 || port >= 1 && port <= 65535;
  }

  private static boolean isLoopback(String host) {
    if (host.equals("localhost")) {
      return true;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
