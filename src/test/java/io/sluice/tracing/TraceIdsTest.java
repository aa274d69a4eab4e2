package io.sluice.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TraceIdsTest {

  @Test
  void the_traceparent_and_the_trace_id_text_name_the_same_trace() {
    long high = 0x4bf92f3577b34da6L;
    long low = 0xa3ce929d0e0e4736L;
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", TraceIds.traceId(high, low));
    assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        TraceIds.traceparent(high, low, 0x00f067aa0ba902b7L, false).toString());
    assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        TraceIds.traceparent(high, low, 0x00f067aa0ba902b7L, true).toString(), "sampled: flags 01");
    assertEquals("00f067aa0ba902b7", TraceIds.spanId(0x00f067aa0ba902b7L));
    assertEquals("00000000000000000000000000000001", TraceIds.traceId(0, 1), "leading zeros are written");
  }

  @Test
  void a_client_trace_id_parses_back_to_its_halves() {
    String id = "ffffffffffffffff0000000000000abc";
    assertEquals(-1L, TraceIds.half(id, 0));
    assertEquals(0xabcL, TraceIds.half(id, 1));
    assertEquals(id, RequestTrace.unsampled(id).traceId());
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736",
        RequestTrace.unsampled(0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L).traceId());
  }
}
