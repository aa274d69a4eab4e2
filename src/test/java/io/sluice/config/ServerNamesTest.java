package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** An SNI is never an IP literal (RFC 6066 section 3), in the admin API and in a declarative file alike. */
class ServerNamesTest {

  @Test
  void ip_literals_are_refused_and_host_names_with_digits_are_not() {
    for (String address : List.of("127.0.0.1", "10.1", "*.0.0.1", "::1", "[::1]", "fe80::1")) {
      assertNotNull(ServerNames.problem(address), address);
    }
    for (String host : List.of("api.example.test", "*.example.test", "*", "3com.com", "a.1b", "1.example", "localhost")) {
      assertNull(ServerNames.problem(host), host);
    }
  }

  @Test
  void a_file_naming_an_ip_address_as_an_sni_is_refused_naming_the_entry() {
    ConfigException e = assertThrows(ConfigException.class, () -> DeclarativeConfig.parse("""
        format_version: 1
        certificates:
          - name: c1
            cert: "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n"
            key_ref: "sha256:%s"
            snis: [api.example.test, 127.0.0.1]
        """.formatted("0".repeat(64))));
    assertEquals(List.of("certificates[0].snis[1]"), e.errors().stream().map(FieldError::field).toList(),
        e.errors().toString());
  }
}
