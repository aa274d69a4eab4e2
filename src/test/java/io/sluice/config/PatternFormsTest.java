package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A value refused by a schema pattern is answered with the form in words, never a bare "not of the form". */
class PatternFormsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void every_pattern_of_every_shipped_schema_has_its_form_in_words() throws IOException {
    Set<String> unknown = new TreeSet<>();
    int seen = 0;
    try (Stream<Path> files = Files.walk(Path.of("src/main/resources/schema"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
        List<JsonNode> patterns = JSON.readTree(f.toFile()).findValues("pattern");
        for (JsonNode p : patterns) {
          if (p.isTextual()) {
            seen++;
            if (!PatternForms.knows(p.asText())) {
              unknown.add(f.getFileName() + ": " + p.asText());
            }
          }
        }
      }
    }
    assertTrue(seen > 40, "the schemas' patterns were found: " + seen);
    assertTrue(unknown.isEmpty(), "patterns without their form in PatternForms: " + unknown);
  }

  @Test
  void a_route_refused_by_patterns_names_each_form() throws IOException {
    JsonNode route = JSON.readTree("""
        {"name": "bad name", "service": "s", "paths": ["orders"], "hosts": ["a b.test"]}""");
    List<FieldError> errors = Schemas.validate("entity-route", route);
    assertEquals(List.of(
        new FieldError("hosts[0]", "is not of the expected form: a host name, exact or *.example.com: letters,"
            + " digits and '-' between dots, without a trailing dot: b.test, not b.test. (requests naming b.test."
            + " reach b.test)"),
        new FieldError("name", "is not of the expected form: 1 to 128 letters, digits, '.', '_' or '-', starting with"
            + " a letter or digit (no spaces)"),
        new FieldError("paths[0]", "is not of the expected form: a path: /prefix (whole segments), =/exact,"
            + " /users/{id} (a template) or ~regex")), errors);
  }

  @Test
  void a_target_address_names_the_schemes_it_takes() throws IOException {
    JsonNode service = JSON.readTree("""
        {"name": "s", "targets": [{"address": "ftp://a:21"}]}""");
    List<FieldError> errors = Schemas.validate("entity-service", service);
    assertEquals(1, errors.size(), errors.toString());
    assertEquals("targets[0].address", errors.get(0).field());
    assertTrue(errors.get(0).reason().contains("http://, https://, h2:// or h2c://"), errors.toString());
  }
}
