package io.sluice.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.metrics.Meters;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Meter names live in one place ({@link Meters}) and every one of them is documented: an operator reading
 * docs/ finds each series /metrics exports, under its Prometheus name.
 */
class MeterNamesDocumentedTest {

  private static final Pattern LITERAL_BUILDER =
      Pattern.compile("(Counter|Gauge|MultiGauge|Timer|DistributionSummary)\\.builder\\(\"");

  @Test
  void every_meter_name_appears_in_the_docs_under_its_prometheus_name() throws Exception {
    String docs = readAll(Path.of("docs"), ".md");
    List<String> missing = new ArrayList<>();
    int names = 0;
    for (Field f : Meters.class.getFields()) {
      if (f.getType() != String.class || !Modifier.isStatic(f.getModifiers())) {
        continue;
      }
      names++;
      String prometheus = ((String) f.get(null)).replace('.', '_');
      if (!docs.contains(prometheus)) {
        missing.add(f.getName() + " (" + prometheus + ")");
      }
    }
    assertTrue(names > 40, "Meters holds the names: " + names);
    assertEquals(List.of(), missing, "meters not named in docs/");
  }

  @Test
  void no_meter_is_registered_under_a_name_written_outside_meters() throws Exception {
    List<String> offenders = new ArrayList<>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      for (Path p : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
        if (LITERAL_BUILDER.matcher(Files.readString(p)).find()) {
          offenders.add(p.toString());
        }
      }
    }
    assertEquals(List.of(), offenders, "meter names written as literals: use a constant of Meters");
  }

  private static String readAll(Path dir, String suffix) throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files.filter(p -> p.toString().endsWith(suffix)).sorted()::iterator) {
        all.append(Files.readString(p)).append('\n');
      }
    }
    return all.toString();
  }
}
