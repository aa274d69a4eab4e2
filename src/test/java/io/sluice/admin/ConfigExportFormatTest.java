package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.CertificateEntry;
import io.sluice.config.ConfigFileWriter;
import io.sluice.config.ConsumerEntry;
import io.sluice.config.ConsumerEntry.JwtEntry;
import io.sluice.config.ConsumerEntry.KeyEntry;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.GatewayConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The streamed export ({@link ConfigFileWriter}, what {@code GET /config} writes as the cursor yields consumers)
 * makes the same bytes as serializing the whole sorted configuration at once, in YAML and JSON, and hands them on
 * in chunks rather than as one file.
 */
class ConfigExportFormatTest {

  private static final GatewayConfig BASE = DeclarativeConfig.parse("""
      format_version: 1
      services:
        - {name: orders, tenant: acme, targets: [{address: "10.0.0.5:8080", weight: 100}], retries: 2}
        - {name: billing, targets: [{address: "billing.internal:9000"}]}
      routes:
        - {name: z-orders, service: orders, paths: ["/orders"], methods: [GET, POST], strip_path: true}
        - {name: a-billing, service: billing, paths: ["/billing"], hosts: ["*.example.org"]}
      plugins:
        - {name: cors, scope: global, config: {origins: ["https://a.example"]}}
        - {name: request-size-limiting, scope: route, route: z-orders}
      """);

  /** Consumers in no order, their credentials in none: enough of them for several chunks. */
  private static List<ConsumerEntry> consumers(int n) {
    List<ConsumerEntry> out = new ArrayList<>();
    for (int i = n - 1; i >= 0; i--) {
      out.add(new ConsumerEntry(i % 3 == 0 ? "acme" : "default", "user-" + i, i % 5 == 0 ? "c" + i : null,
          i % 7 == 0 ? List.of("gold", "beta") : List.of(),
          List.of(new KeyEntry("sk_b" + i, "hmac-sha256:bb" + i, null, null),
              new KeyEntry("sk_a" + i, "hmac-sha256:aa" + i, null, null)),
          i % 11 == 0 ? List.of(new JwtEntry("https://z.example", "RS256", "-----BEGIN PUBLIC KEY-----\nMIIB\n", null,
              null), new JwtEntry("https://a.example", "HS256", null, "sha256:00ff", null)) : List.of()));
    }
    // Names whose order differs between String.compareTo and code points (the database's "C" order).
    out.add(new ConsumerEntry("default", "\uFB01-ligature", null, List.of(), List.of(), List.of()));
    out.add(new ConsumerEntry("default", "\uD83D\uDE00-emoji", null, List.of(), List.of(), List.of()));
    return out;
  }

  private static GatewayConfig with(List<ConsumerEntry> consumers, List<CertificateEntry> certificates) {
    return new GatewayConfig(1, BASE.services(), BASE.routes(), BASE.plugins(), consumers, certificates);
  }

  private static String streamed(ObjectMapper mapper, GatewayConfig config, List<Integer> chunks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ConfigFileWriter writer = new ConfigFileWriter(mapper, with(List.of(), config.certificates()).sorted(), b -> {
      chunks.add(b.length);
      out.writeBytes(b);
    });
    config.consumers().stream().sorted(GatewayConfig.CONSUMER_ORDER).forEach(writer::consumer);
    writer.end();
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void the_streamed_file_is_the_whole_file_byte_for_byte_in_yaml_and_json() {
    List<CertificateEntry> certs = List.of(
        new CertificateEntry("edge", null, "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
            "sha256:abcd", null, List.of("b.example", "a.example"), null),
        new CertificateEntry("acme-edge", "acme", "-----BEGIN CERTIFICATE-----\nMIID\n", "sha256:ef", null,
            List.of("*.acme.example"), null));
    for (GatewayConfig config : List.of(with(consumers(2000), certs), with(consumers(3), null),
        with(List.of(), null))) {
      for (ObjectMapper mapper : List.of(ConfigRoutes.YAML, ConfigRoutes.JSON)) {
        List<Integer> chunks = new ArrayList<>();
        String whole;
        try {
          whole = mapper.writeValueAsString(config.sorted());
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        assertEquals(whole, streamed(mapper, config, chunks));
        if (config.consumers().size() > 1000) {
          assertTrue(chunks.size() > 5, "handed on in chunks: " + chunks);
          assertTrue(chunks.stream().allMatch(n -> n < 64 * 1024), "no chunk holds the file: " + chunks);
        }
      }
    }
  }

  @Test
  void consumers_are_ordered_by_code_point_as_the_database_orders_them() {
    List<String> order = with(consumers(1), null).sorted().consumers().stream().map(ConsumerEntry::username)
        .toList();
    // U+FB01 sorts before U+1F600 by code point; String.compareTo (UTF-16 units, a surrogate D83D) says otherwise.
    assertEquals(List.of("user-0", "\uFB01-ligature", "\uD83D\uDE00-emoji"), order);
  }
}
