package io.sluice.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpVersion;
import java.util.Locale;

/**
 * A target's 103 Early Hints, passed on to the client as they come (RFC 9110 section 15.2: a proxy forwards the
 * 1xx answers it did not ask for itself; RFC 8297), less hop-by-hop headers, ahead of the final answer's head. An
 * HTTP/1.0 client gets none: HTTP/1.0 has no 1xx, and RFC 9110 forbids sending it one; the hints are dropped,
 * and a target that wants them seen everywhere repeats its Link headers on the final answer, which every client
 * gets. The route's response policies do not run on a 103: they edit the final answer.
 *
 * <p>100 Continue is not relayed here: the gateway answers Expect itself (see {@link Expectations}) and never
 * passes it on, so a target has no reason to send one. Vert.x's client reports 100 and 103 apart and takes any
 * other 1xx (102, 104) for the final head, which is why only 103 is forwarded.
 */
final class EarlyHints {

  private EarlyHints() {}

  /** One 103 from {@code attempt}'s target: written to the client unless the answer started or it cannot take it. */
  static void relay(Exchange ex, Attempt attempt, MultiMap hints) {
    if (ex.done || ex.responded || ex.current != attempt || attempt.finished() || ex.resp.headWritten()
        || ex.req.version() == HttpVersion.HTTP_1_0) {
      return;
    }
    MultiMap kept = MultiMap.caseInsensitiveMultiMap();
    HopByHop.copyResponse(hints, kept);
    if (ex.req.version() == HttpVersion.HTTP_2) {
      // Vert.x puts a 103's names into HTTP/2 headers as they are, and HTTP/2 allows only lower-case names.
      MultiMap lower = MultiMap.caseInsensitiveMultiMap();
      kept.forEach((name, value) -> lower.add(name.toLowerCase(Locale.ROOT), value));
      kept = lower;
    }
    ex.resp.writeEarlyHints(kept); // a client gone meanwhile is the close handler's business, not this write's
  }
}
