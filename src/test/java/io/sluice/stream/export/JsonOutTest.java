package io.sluice.stream.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The encoder's numbers are written as the JDK writes them (the stream's records kept their format). */
class JsonOutTest {

  private static String millis(double ms) {
    return new String(new JsonOut(8).millis(ms).bytes(), StandardCharsets.US_ASCII);
  }

  @Test
  void milliseconds_read_as_double_to_string_of_the_thousandths() {
    Random random = new Random(7);
    for (int i = 0; i < 200_000; i++) {
      double ms = i < 100_000 ? i / 997.0 : random.nextDouble() * Math.pow(10, random.nextInt(12));
      assertEquals(Double.toString(Math.round(ms * 1000) / 1000.0), millis(ms), "ms " + ms);
    }
    assertEquals("0.0", millis(0));
    assertEquals("12.0", millis(12));
    assertEquals("0.004", millis(0.0041));
    assertEquals("99999.999", millis(99_999.999));
    assertEquals("1.0E7", millis(10_000_000));
    assertEquals("-1.5", millis(-1.5));
  }

  @Test
  void integers_read_as_long_to_string() {
    for (long v : new long[] {0, 7, 10, 99, 100, 1_234_567, Long.MAX_VALUE, -1, -42, Long.MIN_VALUE}) {
      assertEquals(Long.toString(v), new String(new JsonOut(1).num(v).bytes(), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void a_repeated_value_is_written_the_same_from_its_slot_and_a_new_one_replaces_it() {
    JsonOut o = new JsonOut(4);
    String route = "r\u00e9\"1";
    o.same(route, 3).raw(',').same(route, 3).raw(',').same(new String("other"), 3).raw(',').same(null, 3);
    assertEquals("\"r\u00e9\\\"1\",\"r\u00e9\\\"1\",\"other\",null", new String(o.bytes(), StandardCharsets.UTF_8));
    // An equal value in another String (a client address is a new one every request), then a different one.
    JsonOut byValue = new JsonOut(4);
    byValue.same("10.0.0.1", 7).raw(',').same(new String("10.0.0.1"), 7).raw(',').same("10.0.0.2", 7);
    assertEquals("\"10.0.0.1\",\"10.0.0.1\",\"10.0.0.2\"", new String(byValue.bytes(), StandardCharsets.UTF_8));
    AccessRecord r = new AccessRecord("id", 0, "t", "node", "route", "svc", null, "GET", "/", 200, 1, 1, 0, 0,
        "10.0.0.1", "rid", "127.0.0.1:80", "tid");
    JsonOut twice = new JsonOut(16);
    r.writeJson(twice);
    r.writeJson(twice);
    byte[] one = r.toJson();
    byte[] both = twice.bytes();
    assertEquals(new String(one, StandardCharsets.UTF_8) + new String(one, StandardCharsets.UTF_8),
        new String(both, StandardCharsets.UTF_8));
  }
}
