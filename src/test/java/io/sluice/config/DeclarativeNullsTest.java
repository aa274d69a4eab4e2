package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A null in a declarative file (PUT /config, routes_file) is the field's default, as in the admin API's POST, PUT
 * and PATCH: {@code hosts: null} (or YAML's {@code hosts:} left empty) is no hosts, not a refusal.
 */
class DeclarativeNullsTest {

  private static final String FILE = """
      format_version: 1
      services:
        - name: svc
          targets: [{address: "127.0.0.1:9000"}]
          retries: null
      routes:
        - name: r
          service: svc
          hosts: %s
          paths: ["/r"]
      """;

  @Test
  void a_null_field_is_its_default() {
    GatewayConfig withNull = DeclarativeConfig.parse(FILE.formatted("null"));
    GatewayConfig without = DeclarativeConfig.parse(FILE.formatted("[]").replace("    retries: null\n", ""));
    assertEquals(List.of(), withNull.routes().get(0).hosts());
    assertEquals(without.routes(), withNull.routes());
    assertEquals(without.services(), withNull.services());
    assertEquals(without.routes(), DeclarativeConfig.parse(FILE.formatted("")).routes());
  }

  @Test
  void a_null_in_a_list_is_still_refused() {
    List<FieldError> errors = assertThrows(ConfigException.class,
        () -> DeclarativeConfig.parse(FILE.formatted("[null]"))).errors();
    assertEquals("routes[0].hosts[0]", errors.get(0).field(), errors.toString());
  }
}
