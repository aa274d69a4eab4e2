package io.sluice.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.Schemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node settings: schema defaults, then the file, then SLUICE_* variables; every refusal names its key. */
class SettingsLoaderTest {

  private static final NodeSettings DEFAULTS = new NodeSettings(
      new NodeSettings.Node("", "/tmp/sluice", "auto"),
      new NodeSettings.Proxy("0.0.0.0", 8080, 0, 16384, 8192, 1_073_741_824L, 75, 30000, 100, 10_000, 1024, true,
          false, true, true, 8443, 200, 30, 1_048_576, 10_000),
      new NodeSettings.Upstream(128, 30, 1024, 50),
      new NodeSettings.Admin("127.0.0.1", 9001, "", "", "", 10_000, 30_000, 75),
      new NodeSettings.Pg("", 4, true),
      new NodeSettings.Keys("", ""),
      new NodeSettings.Redis("redis://127.0.0.1:6379", 100, 1000),
      new NodeSettings.Cluster("none", "sluice", "", "127.0.0.1", 5701, 0, new NodeSettings.Kubernetes("", "")),
      new NodeSettings.Sync(30000, 168, 2160),
      new NodeSettings.Consumers(10000, 300, 60),
      "conf/routes.yaml",
      new NodeSettings.Log("info", "json"),
      new NodeSettings.Kafka("", "sluice.access", 12, 604_800_000L, "/tmp/sluice/kafka", 9092, 15000, 5, "none"),
      new NodeSettings.Spool("/tmp/sluice/spool", 268_435_456L, 50L),
      new NodeSettings.Stream(true, "0.0.0.0", 9002, "", 10000, 20000, "", "", "", 10_000, 30_000, 75),
      new NodeSettings.Tls("TLSv1.2,TLSv1.3", "", true, "request", "openssl"),
      new NodeSettings.Discovery("", 1, 300, 2000, "", ""),
      new NodeSettings.Tracing(false, "http://127.0.0.1:4318/v1/traces", 10000, 2048));

  @TempDir
  Path dir;

  private final SettingsLoader loader = new SettingsLoader();

  private Path file(String yaml) throws IOException {
    return Files.writeString(dir.resolve("sluice.yaml"), yaml);
  }

  private List<String> problems(Path file, Map<String, String> env) {
    return assertThrows(SettingsException.class, () -> loader.load(file, false, env)).problems();
  }

  @Test
  void defaults_apply_without_a_file() {
    assertEquals(DEFAULTS, loader.load(dir.resolve("absent.yaml"), false, Map.of()));
    assertEquals(DEFAULTS, loader.load(null, false, Map.of()));
    assertEquals(List.of(), loader.warnings());
  }

  @Test
  void empty_file_means_defaults() throws IOException {
    assertEquals(DEFAULTS, loader.load(file(""), true, Map.of()));
  }

  @Test
  void required_file_that_does_not_exist_is_refused() {
    Path absent = dir.resolve("absent.yaml");
    SettingsException e = assertThrows(SettingsException.class, () -> loader.load(absent, true, Map.of()));
    assertEquals(List.of("settings file " + absent + ": does not exist"), e.problems());
  }

  @Test
  void file_values_apply_and_the_rest_keep_their_defaults() throws IOException {
    NodeSettings s = loader.load(file("""
        proxy:
          port: 8081
          max_body_bytes: 0
        log:
          format: text
        routes_file: /etc/sluice/routes.yaml
        """), true, Map.of());
    assertEquals(new NodeSettings.Proxy("0.0.0.0", 8081, 0, 16384, 8192, 0, 75, 30000, 100, 10_000, 1024, true, false,
        true, true, 8443, 200, 30, 1_048_576, 10_000),
        s.proxy());
    assertEquals(new NodeSettings.Log("info", "text"), s.log());
    assertEquals("/etc/sluice/routes.yaml", s.routesFile());
    assertEquals(DEFAULTS.admin(), s.admin());
    assertEquals(DEFAULTS.upstream(), s.upstream());
  }

  @Test
  void environment_overrides_the_file() throws IOException {
    Path f = file("""
        proxy: {port: 8081, host: 127.0.0.1}
        admin: {token: from-file}
        """);
    NodeSettings s = loader.load(f, true, Map.of("SLUICE_PROXY_PORT", "9090", "SLUICE_ADMIN_TOKEN", "s3cret",
        "SLUICE_LOG_LEVEL", "debug"));
    assertEquals(9090, s.proxy().port());
    assertEquals("127.0.0.1", s.proxy().host(), "keys without a variable keep the file's value");
    assertEquals("s3cret", s.admin().token());
    assertEquals("debug", s.log().level());
  }

  @Test
  void kafka_bootstrap_and_stream_settings_come_from_the_environment() {
    NodeSettings s = loader.load(null, false, Map.of("SLUICE_KAFKA_BOOTSTRAP", "k1:9092,k2:9092",
        "SLUICE_STREAM_PORT", "0", "SLUICE_STREAM_ENABLED", "false", "SLUICE_SPOOL_MAX_BYTES", "1048576"));
    assertEquals("k1:9092,k2:9092", s.kafka().bootstrap());
    assertFalse(s.kafka().embedded());
    assertEquals(0, s.stream().port());
    assertFalse(s.stream().enabled());
    assertEquals(1_048_576L, s.spool().maxBytes());
  }

  @Test
  void the_producer_linger_is_a_setting_with_bounds() throws IOException {
    NodeSettings s = loader.load(file("kafka:\n  linger_ms: 25\n"), true, Map.of());
    assertEquals(25, s.kafka().lingerMs());
    List<String> problems = problems(file("kafka:\n  linger_ms: -1\n"), Map.of());
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("kafka.linger_ms: "), problems.toString());
  }

  private static String tempFile() {
    try {
      java.nio.file.Path f = java.nio.file.Files.createTempFile("settings", ".pem");
      f.toFile().deleteOnExit();
      return f.toString();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Found from outside: each of these started (or failed later, unnamed, a password in the log). */
  @Test
  void settings_that_failed_later_or_split_traffic_are_refused_at_start_naming_the_key() {
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("SLUICE_PROXY_TLS_PORT=8698,SLUICE_PROXY_PORT=8698", "proxy.tls_port: 8698 is also proxy.port");
    cases.put("SLUICE_STREAM_PORT=8694,SLUICE_ADMIN_PORT=8694,SLUICE_STREAM_ENABLED=true", "stream.port: 8694 is also admin.port");
    cases.put("SLUICE_KAFKA_BOOTSTRAP=not a host!!", "kafka.bootstrap: ");
    cases.put("SLUICE_KAFKA_BOOTSTRAP=kafka.example", "kafka.bootstrap: every server is host:port");
    cases.put("SLUICE_DISCOVERY_DNS_MIN_TTL_S=600,SLUICE_DISCOVERY_DNS_MAX_TTL_S=10", "discovery.dns_min_ttl_s: 600");
    cases.put("SLUICE_CLUSTER_DISCOVERY=tcp-ip,SLUICE_CLUSTER_HOST=not_a_host", "cluster.host: must be this node's IP");
    cases.put("SLUICE_STREAM_DEFAULT_TENANT=demo", "stream.default_tenant: must be a tenant's id");
    cases.put("SLUICE_ADMIN_TLS_CERT_FILE=/nonexistent.pem,SLUICE_ADMIN_TLS_KEY_FILE=/nonexistent.key",
        "admin.tls_cert_file: cannot read /nonexistent.pem");
    cases.forEach((vars, expected) -> {
      Map<String, String> env = new java.util.HashMap<>();
      for (String kv : vars.split(",")) {
        env.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
      }
      List<String> problems = problems(null, env);
      String key = expected.substring(0, expected.indexOf(':'));
      String words = expected.substring(expected.indexOf(':') + 1).trim();
      assertTrue(problems.stream().anyMatch(p -> p.startsWith(key) && p.contains(words)), vars + ": " + problems);
      assertTrue(problems.stream().noneMatch(p -> p.contains("S3cretPW")), "never the password: " + problems);
    });
    // What the Kafka client and the listeners take stays taken: a listener prefix, IPv6, one port on two addresses.
    NodeSettings fine = loader.load(null, false, Map.of("SLUICE_KAFKA_BOOTSTRAP",
        "PLAINTEXT://kafka.example:9092,[fd00::5]:9092,fd00::6:9092", "SLUICE_ADMIN_HOST", "127.0.0.1",
        "SLUICE_ADMIN_PORT", "8080", "SLUICE_PROXY_HOST", "10.0.0.5", "SLUICE_PROXY_PORT", "8080",
        "SLUICE_STREAM_ENABLED", "false", "SLUICE_STREAM_TLS_CERT_FILE", "/nonexistent.pem",
        "SLUICE_STREAM_TLS_KEY_FILE", "/nonexistent.key"));
    assertEquals(8080, fine.admin().port());
  }

  @Test
  void unknown_key_in_the_file_is_named() throws IOException {
    assertEquals(List.of("proxy.prot: unknown key"), problems(file("proxy:\n  prot: 8080\n"), Map.of()));
    assertEquals(List.of("colour: unknown key"), problems(file("colour: blue\n"), Map.of()));
  }

  @Test
  void port_out_of_range_is_named_with_the_reason() throws IOException {
    List<String> problems = problems(file("proxy:\n  port: 70000\n"), Map.of());
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("proxy.port: ") && problems.get(0).contains("65535"), problems.toString());
  }

  @Test
  void non_integer_in_an_integer_variable_is_named() {
    assertEquals(List.of("proxy.port: SLUICE_PROXY_PORT='abc' is not an integer"),
        problems(null, Map.of("SLUICE_PROXY_PORT", "abc")));
  }

  @Test
  void a_boolean_variable_reads_as_yaml_reads_one() {
    for (String yes : List.of("true", "True", "TRUE", " true ")) {
      assertTrue(loader.load(null, false, Map.of("SLUICE_PROXY_ALLOW_PATH_SEMICOLONS", yes)).proxy().allowPathSemicolons(),
          yes);
    }
    assertFalse(loader.load(null, false, Map.of("SLUICE_PROXY_MERGE_SLASHES", "FALSE")).proxy().mergeSlashes());
    for (String no : List.of("yes", "1", "tRUE", "on", "")) {
      assertEquals(List.of("proxy.allow_path_semicolons: SLUICE_PROXY_ALLOW_PATH_SEMICOLONS='" + no
          + "' is not true or false"), problems(null, Map.of("SLUICE_PROXY_ALLOW_PATH_SEMICOLONS", no)), no);
    }
  }

  @Test
  void out_of_range_variable_is_named_by_its_key() {
    List<String> problems = problems(null, Map.of("SLUICE_ADMIN_PORT", "70000"));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("admin.port (SLUICE_ADMIN_PORT): ") && problems.get(0).contains("65535"),
        problems.toString());
  }

  @Test
  void value_outside_an_enum_is_named() throws IOException {
    List<String> problems = problems(file("log:\n  level: loud\n"), Map.of());
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("log.level: ") && problems.get(0).contains("must be one of"), problems.toString());
  }

  @Test
  void every_problem_is_reported_at_once() throws IOException {
    List<String> problems = problems(file("proxy: {prot: 1}\nlog: {level: loud}\n"),
        Map.of("SLUICE_PROXY_PORT", "abc"));
    assertEquals(3, problems.size(), problems.toString());
    assertTrue(problems.contains("proxy.prot: unknown key"), problems.toString());
    assertTrue(problems.contains("proxy.port: SLUICE_PROXY_PORT='abc' is not an integer"), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("log.level: ")), problems.toString());
  }

  /**
   * The schema's refusals used to hide the other checks' until they were fixed (an outside tester: an unknown key
   * and a bad enum reported, the bad URLs and host lists only in a second round). Now one round has them all.
   */
  @Test
  void schema_and_value_problems_come_in_one_round() throws IOException {
    List<String> problems = problems(file("""
        proxy: {prot: 1}
        log: {level: loud}
        tracing: {otlp_endpoint: "ftp://x"}
        redis: {url: "redis://127.0.0.1:6379/abc"}
        discovery: {dns_servers: "1.2.3.4:99999"}
        cluster: {members: "tcp://node1:5701"}
        """), Map.of());
    assertEquals(6, problems.size(), problems.toString());
    assertTrue(problems.contains("proxy.prot: unknown key"), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("log.level: ")), problems.toString());
    assertTrue(problems.contains("tracing.otlp_endpoint: must start with http:// or https://"), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("redis.url: the database")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("discovery.dns_servers: 1.2.3.4:99999")),
        problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("cluster.members: tcp://")), problems.toString());
  }

  /** A refused key's default stands in for it in the checks beyond the schema, which still run. */
  @Test
  void the_checks_beyond_the_schema_still_run_when_it_refuses_a_variable() {
    List<String> problems = problems(null, Map.of("SLUICE_ADMIN_HOST", "0.0.0.0", "SLUICE_ADMIN_PORT", "70000"));
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("admin.port (SLUICE_ADMIN_PORT): "), problems.toString());
    assertTrue(problems.get(1).startsWith("admin.token: required when admin.host"), problems.toString());
  }

  @Test
  void a_value_refused_from_a_variable_names_the_variable_without_echoing_it() {
    List<String> problems = problems(null, Map.of("SLUICE_LOG_LEVEL", "LOUD", "SLUICE_LOG_FORMAT", "xml"));
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("log.level (SLUICE_LOG_LEVEL): ")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("log.format (SLUICE_LOG_FORMAT): ")), problems.toString());
  }

  /** As PUT /logging takes them: any case, and off. */
  @Test
  void log_levels_are_taken_in_any_case_and_off() throws IOException {
    assertEquals("debug", loader.load(null, false, Map.of("SLUICE_LOG_LEVEL", "DEBUG")).log().level());
    assertEquals("off", loader.load(null, false, Map.of("SLUICE_LOG_LEVEL", "off")).log().level());
    assertEquals("warn", loader.load(file("log: {level: Warn}\n"), true, Map.of()).log().level());
    assertEquals("off", loader.load(file("log: {level: OFF}\n"), true, Map.of()).log().level(), "YAML's false");
    assertEquals("off", loader.load(file("log: {level: \"off\"}\n"), true, Map.of()).log().level());
  }

  @Test
  void unknown_sluice_variable_is_a_warning_not_an_error() {
    NodeSettings s = loader.load(null, false, Map.of("SLUICE_SERVICE_HOST", "10.0.0.1", "SLUICE_CONFIG", "x",
        "SLUICE_JAVA_OPTS", "-Xmx1g", "OTHER_PORT", "1"));
    assertEquals(DEFAULTS, s);
    assertEquals(List.of("environment variable SLUICE_SERVICE_HOST is not a settings key; ignored"),
        loader.warnings());
  }

  @Test
  void admin_beyond_loopback_without_a_token_is_refused() throws IOException {
    String expected = "admin.token: required when admin.host (0.0.0.0) is not a loopback address";
    assertEquals(List.of(expected), problems(file("admin: {host: 0.0.0.0}\n"), Map.of()));
    assertEquals(List.of(expected), problems(null, Map.of("SLUICE_ADMIN_HOST", "0.0.0.0")));
    assertEquals(List.of("admin.token (SLUICE_ADMIN_TOKEN): required when admin.host (0.0.0.0) is not a loopback "
        + "address"), problems(null, Map.of("SLUICE_ADMIN_HOST", "0.0.0.0", "SLUICE_ADMIN_TOKEN", "")));
  }

  @Test
  void admin_beyond_loopback_with_a_token_or_on_loopback_without_one_is_accepted() {
    assertEquals("0.0.0.0", loader.load(null, false,
        Map.of("SLUICE_ADMIN_HOST", "0.0.0.0", "SLUICE_ADMIN_TOKEN", "t")).admin().host());
    for (String loopback : new String[] {"127.0.0.1", "127.0.0.2", "localhost", "::1"}) {
      assertEquals(loopback, loader.load(null, false, Map.of("SLUICE_ADMIN_HOST", loopback)).admin().host());
    }
  }

  @Test
  void pg_url_is_a_postgresql_url_auto_embedded_or_empty() {
    for (String url : new String[] {"", "auto", "embedded", "postgresql://postgres@127.0.0.1:5432/sluice",
        "postgres://u:p@db.example:6432/cfg"}) {
      assertEquals(url, loader.load(null, false, Map.of("SLUICE_PG_URL", url)).pg().url());
    }
  }

  @Test
  void pg_url_refuses_anything_else_without_echoing_it() {
    assertEquals(List.of("pg.url (SLUICE_PG_URL): must be a postgresql:// URL, auto, embedded or empty"),
        problems(null, Map.of("SLUICE_PG_URL", "Embedded")));
    assertEquals(List.of("pg.url (SLUICE_PG_URL): "
        + "must be a postgresql:// URL, auto, embedded or empty (without the jdbc: prefix)"),
        problems(null, Map.of("SLUICE_PG_URL", "jdbc:postgresql://db/sluice?password=secret")));
  }

  @Test
  void redis_url_is_a_redis_rediss_or_unix_url() {
    for (String url : new String[] {"redis://127.0.0.1:6379", "rediss://:secret@cache.example:6380/1", "redis://cache",
        "unix:///run/redis.sock"}) {
      assertEquals(url, loader.load(null, false, Map.of("SLUICE_REDIS_URL", url)).redis().url());
    }
  }

  @Test
  void redis_url_refuses_anything_else_without_echoing_it() {
    List<String> expected = List.of("redis.url (SLUICE_REDIS_URL): "
        + "must be a redis:// or rediss:// URL with a host (and a port from 1 to "
        + "65535), or unix:// with a socket path");
    for (String url : new String[] {"notaurl", "127.0.0.1:6379", "http://cache:6379", "redis://", "redis:cache",
        "redis://:secret@cache:99999", "unix://", "redis://ca che"}) {
      assertEquals(expected, problems(null, Map.of("SLUICE_REDIS_URL", url)), url);
    }
  }

  /**
   * The Vert.x client parses the database when it is made: one it could not parse left every Redis-backed policy on
   * its fallback and every purge failing, with the node started and nothing said. Refused with the start now.
   */
  @Test
  void redis_url_refuses_a_database_that_is_not_an_index_from_0_to_2147483646() {
    List<String> expected = List.of("redis.url (SLUICE_REDIS_URL): "
        + "the database (the path after the port, or ?db=) must be a number "
        + "from 0 to 2147483646");
    for (String url : new String[] {"redis://127.0.0.1:6379/abc", "redis://127.0.0.1:6379/-1",
        "redis://127.0.0.1:6379/+1", "rediss://:secret@cache:6380/2147483647", "redis://cache/99999999999",
        "redis://cache:6379/0/1", "redis://cache:6379?db=x", "redis://cache:6379?db=",
        "unix:///run/redis.sock?db=-3", "unix:///run/redis.sock?user=u&db=%31a"}) {
      assertEquals(expected, problems(null, Map.of("SLUICE_REDIS_URL", url)), url);
    }
    for (String url : new String[] {"redis://127.0.0.1:6379/0", "redis://cache:6379/", "redis://cache/15",
        "rediss://:secret@cache:6380/2147483646", "redis://cache:6379?db=3", "unix:///run/redis.sock?db=2",
        "unix:///run/redis.sock?db=x&db=1"}) {
      assertEquals(url, loader.load(null, false, Map.of("SLUICE_REDIS_URL", url)).redis().url());
    }
  }

  @Test
  void otlp_endpoint_is_an_http_url_even_with_tracing_off() {
    assertEquals(List.of("tracing.otlp_endpoint (SLUICE_TRACING_OTLP_ENDPOINT): must start with http:// or https://"),
        problems(null, Map.of("SLUICE_TRACING_ENABLED", "true", "SLUICE_TRACING_OTLP_ENDPOINT", "notaurl")));
    assertEquals(List.of("tracing.otlp_endpoint (SLUICE_TRACING_OTLP_ENDPOINT): must start with http:// or https://"),
        problems(null, Map.of("SLUICE_TRACING_OTLP_ENDPOINT", "grpc://collector:4317")));
    assertEquals(List.of("tracing.otlp_endpoint (SLUICE_TRACING_OTLP_ENDPOINT): "
        + "must be a URL with a host (and a port from 1 to 65535)"),
        problems(null, Map.of("SLUICE_TRACING_OTLP_ENDPOINT", "http:///v1/traces")));
    assertEquals("https://collector.example/v1/traces", loader.load(null, false,
        Map.of("SLUICE_TRACING_OTLP_ENDPOINT", "https://collector.example/v1/traces")).tracing().otlpEndpoint());
  }

  @Test
  void dns_servers_are_hosts_with_ports_in_range() {
    String list = "10.0.0.2, 10.0.0.3:5353,[::1]:53,::1,[fd00::2]";
    assertEquals(list, loader.load(null, false, Map.of("SLUICE_DISCOVERY_DNS_SERVERS", list)).discovery().dnsServers());
    assertEquals(List.of(new HostPort("10.0.0.2", 53), new HostPort("10.0.0.3", 5353), new HostPort("::1", 53),
        new HostPort("::1", 53), new HostPort("fd00::2", 53)), HostPort.parseList(list, 53));
    assertEquals(List.of("discovery.dns_servers (SLUICE_DISCOVERY_DNS_SERVERS): "
        + "1.2.3.4:99999: the port must be a number from 1 to 65535"),
        problems(null, Map.of("SLUICE_DISCOVERY_DNS_SERVERS", "10.0.0.2,1.2.3.4:99999")));
    assertEquals(List.of("discovery.dns_servers (SLUICE_DISCOVERY_DNS_SERVERS): "
        + "1.2.3.4:dns: the port must be a number from 1 to 65535"),
        problems(null, Map.of("SLUICE_DISCOVERY_DNS_SERVERS", "1.2.3.4:dns")));
    assertEquals(List.of("discovery.dns_servers (SLUICE_DISCOVERY_DNS_SERVERS): "
        + "1.2.3.4:0: the port must be a number from 1 to 65535"),
        problems(null, Map.of("SLUICE_DISCOVERY_DNS_SERVERS", "1.2.3.4:0")));
    assertEquals(List.of("discovery.dns_servers (SLUICE_DISCOVERY_DNS_SERVERS): []:53: no host"),
        problems(null, Map.of("SLUICE_DISCOVERY_DNS_SERVERS", "[]:53")));
  }

  @Test
  void cluster_members_are_hosts_with_ports_in_range() {
    String list = "10.0.0.1:5701, node-2.sluice.svc.cluster.local,[fd00::3]:5701";
    assertEquals(list, loader.load(null, false, Map.of("SLUICE_CLUSTER_DISCOVERY", "tcp-ip",
        "SLUICE_CLUSTER_MEMBERS", list)).cluster().members());
    assertEquals(List.of("cluster.members (SLUICE_CLUSTER_MEMBERS): "
        + "10.0.0.2:75701: the port must be a number from 1 to 65535"),
        problems(null, Map.of("SLUICE_CLUSTER_DISCOVERY", "tcp-ip", "SLUICE_CLUSTER_MEMBERS",
            "10.0.0.1:5701,10.0.0.2:75701")));
    assertEquals(List.of("cluster.members (SLUICE_CLUSTER_MEMBERS): "
        + "10.0.0.1;10.0.0.2: the host must be a host name or an IP address"),
        problems(null, Map.of("SLUICE_CLUSTER_MEMBERS", "10.0.0.1;10.0.0.2")));
    assertEquals(List.of("cluster.members (SLUICE_CLUSTER_MEMBERS): "
        + "tcp://node1:5701: the host must be a host name or an IP address"),
        problems(null, Map.of("SLUICE_CLUSTER_MEMBERS", "tcp://node1:5701")));
    assertEquals(List.of("cluster.members (SLUICE_CLUSTER_MEMBERS): "
        + ":5701: no host"), problems(null, Map.of("SLUICE_CLUSTER_MEMBERS", ":5701")));
  }

  @Test
  void kubernetes_api_is_empty_or_an_http_url_without_credentials_never_echoed() {
    for (String url : new String[] {"", "http://127.0.0.1:8001", "https://kubernetes.default.svc"}) {
      assertEquals(url, loader.load(null, false, Map.of("SLUICE_DISCOVERY_KUBERNETES_API", url))
          .discovery().kubernetesApi());
    }
    List<String> bad = List.of("discovery.kubernetes_api (SLUICE_DISCOVERY_KUBERNETES_API): "
        + "must be empty or an http:// or https:// URL with a host "
        + "(and a port from 1 to 65535)");
    for (String url : new String[] {"127.0.0.1:8001", "kubernetes.default.svc", "ws://127.0.0.1:8001", "http://",
        "http://127.0.0.1:80011", "http://kube api"}) {
      assertEquals(bad, problems(null, Map.of("SLUICE_DISCOVERY_KUBERNETES_API", url)), url);
    }
    assertEquals(List.of("discovery.kubernetes_api (SLUICE_DISCOVERY_KUBERNETES_API): "
        + "must not carry credentials (use discovery.kubeconfig for them)"),
        problems(null, Map.of("SLUICE_DISCOVERY_KUBERNETES_API", "https://admin:s3cret@kube.example:6443")));
  }

  @Test
  void a_listener_certificate_without_its_key_or_a_key_without_its_certificate_is_refused() throws IOException {
    assertEquals(List.of("admin.tls_cert_file and admin.tls_key_file: set both or neither (admin.tls_key_file is empty)"),
        problems(null, Map.of("SLUICE_ADMIN_TLS_CERT_FILE", "/etc/sluice/admin.pem")));
    assertEquals(List.of("stream.tls_cert_file and stream.tls_key_file: set both or neither (stream.tls_cert_file is "
        + "empty)"), problems(file("stream: {tls_key_file: /etc/sluice/stream.key}\n"), Map.of()));
    String pem = tempFile();
    String key = tempFile();
    NodeSettings both = loader.load(null, false,
        Map.of("SLUICE_ADMIN_TLS_CERT_FILE", pem, "SLUICE_ADMIN_TLS_KEY_FILE", key));
    assertEquals(key, both.admin().tlsKeyFile());
  }

  @Test
  void malformed_or_non_mapping_file_is_refused_naming_the_file() throws IOException {
    Path bad = file("proxy: [unclosed\n");
    List<String> problems = problems(bad, Map.of());
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).matches("settings file \\Q" + bad + "\\E: not valid YAML at line 1, column \\d+: .+"),
        problems.toString());
    Path list = file("- a\n- b\n");
    assertEquals(List.of("settings file " + list + ": must be a YAML mapping"), problems(list, Map.of()));
    Path twice = file("proxy:\n  port: 8080\nproxy:\n  port: 8081\n");
    List<String> dup = problems(twice, Map.of());
    assertEquals(1, dup.size(), dup.toString());
    assertTrue(dup.get(0).contains("Duplicate field 'proxy'"), "a key given twice is refused, not the last kept: " + dup);
  }

  /** Walks the schema independently of the loader: every non-object property is a leaf key. */
  private static void leaves(JsonNode schema, String prefix, List<String> out) {
    Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      if (e.getValue().has("properties")) {
        leaves(e.getValue(), key + ".", out);
      } else {
        out.add(key);
      }
    }
  }

  @Test
  void every_schema_leaf_has_its_environment_variable() {
    List<String> leaves = new ArrayList<>();
    leaves(Schemas.raw(SettingsLoader.SCHEMA), "", leaves);
    assertEquals(99, leaves.size(), leaves.toString());
    Map<String, String> names = SettingsLoader.envNames(Schemas.raw(SettingsLoader.SCHEMA));
    // The names ARCHITECTURE.md promises operators.
    assertEquals("pg.url", names.get("SLUICE_PG_URL"));
    assertEquals("admin.token", names.get("SLUICE_ADMIN_TOKEN"));
    Map<String, String> expected = new HashMap<>();
    for (String leaf : leaves) {
      expected.put("SLUICE_" + leaf.toUpperCase(Locale.ROOT).replace('.', '_'), leaf);
    }
    assertEquals(expected, names);
    assertEquals("proxy.max_body_bytes", names.get("SLUICE_PROXY_MAX_BODY_BYTES"));
  }

  /** Sets every leaf through its variable to a valid non-default value and reads it back from the settings. */
  @Test
  void every_schema_leaf_can_be_set_from_the_environment() {
    JsonNode schema = Schemas.raw(SettingsLoader.SCHEMA);
    List<String> leaves = new ArrayList<>();
    leaves(schema, "", leaves);
    Map<String, String> env = new HashMap<>();
    Map<String, String> wanted = new HashMap<>();
    int[] nextPort = {20_001}; // each listener a port of its own
    String readable = tempFile();
    for (String leaf : leaves) {
      JsonNode prop = schema.at("/properties/" + leaf.replace(".", "/properties/"));
      String value;
      if (leaf.endsWith(".port") || leaf.endsWith(".tls_port")) {
        value = String.valueOf(nextPort[0]++);
      } else if (leaf.endsWith(".tls_cert_file") || leaf.endsWith(".tls_key_file")) {
        value = readable; // read at start (see settings_that_failed_later_*)
      } else if (leaf.equals("cluster.host")) {
        value = "127.0.0.2"; // an IP address where the node is clustered
      } else if (leaf.equals("stream.default_tenant")) {
        value = "6f1c9a52-0d7e-4b8e-9d55-3c2f1a6e7b10"; // a tenant's id
      } else if (leaf.equals("kafka.bootstrap")) {
        value = "localhost:9093"; // host:port
      } else if (prop.path("type").asText().equals("integer")) {
        value = String.valueOf(prop.path("minimum").asLong() + 1);
      } else if (prop.path("type").asText().equals("boolean")) {
        value = String.valueOf(!prop.path("default").asBoolean());
      } else if (prop.has("enum")) {
        value = prop.get("enum").get(0).asText().equals(prop.path("default").asText())
            ? prop.get("enum").get(1).asText() : prop.get("enum").get(0).asText();
      } else if (leaf.equals("pg.url")) {
        value = "postgresql://localhost/sluice"; // pg.url is a URL or one of its words (see pg_url_*)
      } else if (leaf.equals("redis.url")) {
        value = "redis://localhost:6380"; // a redis URL (see redis_url_*)
      } else if (leaf.equals("tracing.otlp_endpoint")) {
        value = "http://localhost:4318/v1/traces"; // an http(s) URL (see otlp_endpoint_*)
      } else if (leaf.equals("discovery.kubernetes_api")) {
        value = "http://localhost:8001"; // an http(s) URL (see kubernetes_api_*)
      } else {
        value = "localhost"; // valid for every free string (and loopback, so admin.host needs no token)
      }
      assertNotEquals(prop.path("default").asText(), value, leaf + ": pick a value that is not the default");
      env.put("SLUICE_" + leaf.toUpperCase(Locale.ROOT).replace('.', '_'), value);
      wanted.put(leaf, value);
    }
    JsonNode loaded = new ObjectMapper().valueToTree(loader.load(null, false, env));
    for (Map.Entry<String, String> w : wanted.entrySet()) {
      String key = w.getKey();
      JsonNode actual = loaded.at("/" + key.replace('.', '/'));
      assertEquals(w.getValue(), actual.asText(), key + " was not set from the environment");
    }
    assertEquals(List.of(), loader.warnings());
  }
}
