package io.sluice.stream.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The stream's query: what it takes is read; anything else, twice or empty is refused naming the parameter. */
class StreamQueryTest {

  private static String refused(String uri) {
    String reason = assertThrows(IllegalArgumentException.class, () -> StreamQuery.parse(uri)).getMessage();
    assertTrue(reason.getBytes(StandardCharsets.UTF_8).length <= 123, "fits a close reason: " + reason);
    return reason;
  }

  @Test
  void the_parameters_it_takes_are_read_once_each() {
    StreamQuery q = StreamQuery.parse("/v1/stream?from=earliest&route=demo&status=5xx&token=st_x");
    assertEquals("earliest", q.get("from"));
    assertEquals("demo", q.get("route"));
    assertEquals("5xx", q.get("status"));
    assertEquals("st_x", q.get("token"));
    assertNull(q.get("cursor"));
    assertNull(StreamQuery.parse("/v1/stream").get("from"));
  }

  @Test
  void an_unknown_repeated_or_empty_parameter_is_refused_naming_it() {
    assertTrue(refused("/v1/stream?from=earliest&limit=5").startsWith("unknown parameter limit"));
    assertTrue(refused("/v1/stream?stauts=5xx").startsWith("unknown parameter stauts"));
    assertEquals("from is given 2 times: give it once", refused("/v1/stream?from=earliest&from=latest"));
    assertEquals("route is given 2 times: give it once", refused("/v1/stream?route=demo&route=hello"));
    assertTrue(refused("/v1/stream?route=").startsWith("route is empty"));
    assertTrue(refused("/v1/stream?" + "x".repeat(300) + "=1").startsWith("unknown parameter xxx"));
  }
}
