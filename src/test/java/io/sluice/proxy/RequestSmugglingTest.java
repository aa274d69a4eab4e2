package io.sluice.proxy;

import static io.sluice.proxy.Refusals.SMUGGLED;
import static io.sluice.proxy.Refusals.assertRefusedBeforeTheBackend;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawHttp.Answer;
import io.sluice.testing.RawHttp.Response;
import io.sluice.testing.RecordingBackend;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Request smuggling and malformed framing, sent byte for byte over a raw socket to the proxy port. A request
 * whose framing two parsers could read differently must be refused by the proxy itself (400, JSON error,
 * connection closed) and nothing of it may reach the backend; each malformed request is followed on the same
 * connection by {@link Refusals#SMUGGLED}, which the backend must never see either.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RequestSmugglingTest {

  private static final String POST = "POST /x HTTP/1.1\r\nHost: a\r\n";

  private RecordingBackend backend;
  private TestNode node;

  /** The node's transport: the machine's default here (io_uring where it runs), epoll in the subclass. */
  java.util.Map<String, String> transport() {
    return java.util.Map.of();
  }

  @BeforeEach
  void start(Vertx vertx) {
    backend = RecordingBackend.start(vertx);
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()), transport());
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
  }

  private Answer send(String request) {
    return RawHttp.exchange(node.proxyPort(), request);
  }

  private void assertRefused(String request) {
    assertRefusedBeforeTheBackend(request, send(request), 400, "bad_request", node, backend);
  }

  // --- Sanity: the proxy is up, forwards valid requests whole and serves pipelined requests in order. ---

  @Test
  void valid_pipelined_requests_are_forwarded_whole_and_in_order() {
    String request = POST + "Content-Length: 3\r\n\r\nabc"
        + "POST /y HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n"
        + "GET /z HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    Answer answer = send(request);
    List<Response> responses = answer.responses();
    assertEquals(3, responses.size(), answer.describe());
    responses.forEach(r -> assertEquals(200, r.status(), answer.describe()));
    assertTrue(answer.closedByServer(), "the proxy closes after the request asking for it: " + answer.describe());
    assertEquals(List.of("POST /x", "POST /y", "GET /z"), backend.completedRequests(), backend.describe());
    assertEquals("abc", backend.completed.get(0).body().toString());
    assertEquals("def", backend.completed.get(1).body().toString());
    assertEquals(3, backend.answered.get());
  }

  // --- Content-Length together with Transfer-Encoding: chunked (CL.TE / TE.CL). ---

  static Stream<Arguments> contentLengthWithChunked() {
    return Stream.of(
        Arguments.of("Content-Length before Transfer-Encoding",
            POST + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("Transfer-Encoding before Content-Length",
            POST + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("Content-Length 0 with chunked",
            POST + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunked with leading spaces",
            POST + "Content-Length: 5\r\nTransfer-Encoding:   chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunked with a leading tab",
            POST + "Content-Length: 5\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("CHUNKED in upper case",
            POST + "Content-Length: 5\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n" + SMUGGLED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contentLengthWithChunked")
  void content_length_with_chunked_transfer_encoding_is_refused_before_the_backend(String name, String request) {
    assertRefused(request);
  }

  // --- Transfer-Encoding obfuscations: anything but exactly one "chunked". ---

  static Stream<Arguments> obfuscatedTransferEncoding() {
    return Stream.of(
        Arguments.of("chunked, identity", POST + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("identity, chunked", POST + "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunked, chunked", POST + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("xchunked", POST + "Transfer-Encoding: xchunked\r\n\r\n" + SMUGGLED),
        Arguments.of("xchunked with Content-Length",
            POST + "Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("identity", POST + "Transfer-Encoding: identity\r\n\r\n" + SMUGGLED),
        Arguments.of("two headers, chunked and identity",
            POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("two headers, both chunked",
            POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("obfuscatedTransferEncoding")
  void transfer_encoding_other_than_exactly_chunked_is_refused_before_the_backend(String name, String request) {
    assertRefused(request);
  }

  /** Optional whitespace and case are legal (RFC 9110 5.5, 7.2): such a request is chunked, and forwarded. */
  static Stream<Arguments> legalChunkedSpellings() {
    return Stream.of(
        Arguments.of("leading space", "Transfer-Encoding:   chunked"),
        Arguments.of("leading tab", "Transfer-Encoding:\tchunked"),
        Arguments.of("trailing space", "Transfer-Encoding: chunked  "),
        Arguments.of("upper case", "Transfer-Encoding: CHUNKED"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("legalChunkedSpellings")
  void whitespace_and_case_around_chunked_are_read_as_chunked_and_forwarded(String name, String header) {
    String request = POST + header + "\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    Answer answer = send(request);
    assertEquals(200, answer.first().status(), answer.describe());
    assertEquals(List.of("POST /x"), backend.completedRequests(), backend.describe());
    assertEquals("abcde", backend.completed.get(0).body().toString());
  }

  /**
   * Netty unfolds an obsolete line fold into the previous field's value, which RFC 9112 5.2 allows as the
   * alternative to a 400. Either is safe as long as the folded line never becomes a Transfer-Encoding.
   */
  static Stream<Arguments> foldedTransferEncoding() {
    return Stream.of(Arguments.of("folded with a space", " "), Arguments.of("folded with a tab", "\t"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("foldedTransferEncoding")
  void an_obsolete_line_fold_cannot_introduce_a_transfer_encoding(String name, String fold) {
    String request = POST + "X-Folded: bar\r\n" + fold + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"
        + "Connection: close\r\n\r\n0\r\n\r\n";
    Answer answer = send(request);
    Response r = answer.first();
    if (r.status() == 400) {
      assertRefusedBeforeTheBackend(request, answer, 400, "bad_request", node, backend);
      return;
    }
    assertEquals(200, r.status(), answer.describe());
    assertEquals(List.of("POST /x"), backend.completedRequests(), backend.describe());
    RecordingBackend.Received got = backend.completed.get(0);
    assertAll(
        () -> assertNull(got.headers().get("Transfer-Encoding"), "the fold became a Transfer-Encoding"),
        () -> assertEquals("5", got.headers().get("Content-Length")),
        () -> assertEquals("0\r\n\r\n", got.body().toString()),
        () -> assertFalse(got.headers().get("X-Folded").contains("\n") || got.headers().get("X-Folded").contains("\r"),
            "the unfolded value carries no line break: " + RawHttp.escape(got.headers().get("X-Folded"))));
  }

  // --- Header syntax: whitespace before the colon, bare CR / LF, control bytes. ---

  static Stream<Arguments> whitespaceInFieldNames() {
    return Stream.of(
        Arguments.of("space before the colon of Host", "GET /x HTTP/1.1\r\nHost : a\r\n\r\n" + SMUGGLED),
        Arguments.of("tab before the colon of Host", "GET /x HTTP/1.1\r\nHost\t: a\r\n\r\n" + SMUGGLED),
        Arguments.of("space before the colon of Transfer-Encoding",
            POST + "Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("first header line starting with a space",
            "POST /x HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: a\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
                + SMUGGLED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("whitespaceInFieldNames")
  void whitespace_in_a_field_name_is_refused_before_the_backend(String name, String request) {
    assertRefused(request);
  }

  static Stream<Arguments> bareLineEndings() {
    return Stream.of(
        Arguments.of("bare LF everywhere", "GET /x HTTP/1.1\nHost: a\n\n" + SMUGGLED),
        Arguments.of("bare LF after the request line", "GET /x HTTP/1.1\nHost: a\r\n\r\n" + SMUGGLED),
        Arguments.of("bare LF after one header", "GET /x HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n" + SMUGGLED),
        Arguments.of("bare LF ending the header section", "GET /x HTTP/1.1\r\nHost: a\r\n\n" + SMUGGLED),
        Arguments.of("bare CR inside a header", "GET /x HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n" + SMUGGLED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bareLineEndings")
  void bare_line_feeds_and_carriage_returns_are_refused_before_the_backend(String name, String request) {
    assertRefused(request);
  }

  static Stream<Arguments> controlBytes() {
    return Stream.of(
        Arguments.of("0x01 in a header name", "GET /x HTTP/1.1\r\nHost: a\r\nX-\u0001Foo: b\r\n\r\n" + SMUGGLED),
        Arguments.of("0x7f in a header name", "GET /x HTTP/1.1\r\nHost: a\r\nX-\u007fFoo: b\r\n\r\n" + SMUGGLED),
        Arguments.of("NUL in a header name", "GET /x HTTP/1.1\r\nHost: a\r\nX-\u0000Foo: b\r\n\r\n" + SMUGGLED),
        Arguments.of("NUL in a header value", "GET /x HTTP/1.1\r\nHost: a\r\nX-Foo: a\u0000b\r\n\r\n" + SMUGGLED),
        Arguments.of("0x01 in a header value", "GET /x HTTP/1.1\r\nHost: a\r\nX-Foo: a\u0001b\r\n\r\n" + SMUGGLED),
        Arguments.of("0x7f in a header value", "GET /x HTTP/1.1\r\nHost: a\r\nX-Foo: a\u007fb\r\n\r\n" + SMUGGLED),
        Arguments.of("NUL in Transfer-Encoding",
            POST + "Transfer-Encoding: chunked\u0000\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + SMUGGLED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("controlBytes")
  void control_bytes_in_header_names_and_values_are_refused_before_the_backend(String name, String request) {
    assertRefused(request);
  }

  // --- Chunk framing: sizes that are too large or not hex, broken chunk delimiters. ---

  static Stream<Arguments> malformedChunks() {
    String chunked = POST + "Transfer-Encoding: chunked\r\n\r\n";
    return Stream.of(
        Arguments.of("chunk size FFFFFFFFFFFFFFFFFFFF",
            chunked + "FFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunk size 10000000000000000 (2^64)",
            chunked + "10000000000000000\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunk size zz (not hex)", chunked + "zz\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunk size 0x3", chunked + "0x3\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunk size -1", chunked + "-1\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunk size +3", chunked + "+3\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("empty chunk size", chunked + "\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunk size ended by a bare LF", chunked + "3\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunk extension ended by a bare LF", chunked + "3;x\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("bad chunk size after a good chunk", chunked + "3\r\nabc\r\nzz\r\nabc\r\n0\r\n\r\n" + SMUGGLED),
        Arguments.of("chunk data not ended by CRLF", chunked + "3\r\nabcXX0\r\n\r\n" + SMUGGLED));
  }

  /**
   * Whether a 400 comes first is not the point here (the decoder fails mid-body and Vert.x closes the
   * connection): the backend must never receive a complete request and the client connection must end.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedChunks")
  void malformed_chunk_framing_closes_the_connection_and_no_complete_request_reaches_the_backend(
      String name, String request) {
    Answer answer = send(request);
    List<Executable> checks = new ArrayList<>();
    checks.add(Refusals.sendFollowUpThenCheckBackend(request, node, backend, false));
    checks.add(() -> assertTrue(answer.closedByServer(), "the connection must be closed: " + answer.describe()));
    if (!answer.isEmpty()) {
      checks.addAll(Refusals.refusal(request, answer, 400, "bad_request"));
    }
    assertAll("malformed chunk: " + RawHttp.escape(request), checks);
  }

  // --- Content-Length: repeated, conflicting, not a plain decimal number. ---

  static Stream<Arguments> repeatedContentLength() {
    return Stream.of(
        Arguments.of("two different Content-Length headers",
            POST + "Content-Length: 3\r\nContent-Length: 40\r\n\r\nabc" + SMUGGLED),
        Arguments.of("two equal Content-Length headers",
            POST + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc" + SMUGGLED),
        Arguments.of("Content-Length: 3, 40", POST + "Content-Length: 3, 40\r\n\r\nabc" + SMUGGLED),
        Arguments.of("Content-Length: 3, 3", POST + "Content-Length: 3, 3\r\n\r\nabc" + SMUGGLED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("repeatedContentLength")
  void repeated_content_length_is_refused_before_the_backend(String name, String request) {
    assertRefused(request);
  }

  static Stream<Arguments> nonNumericContentLength() {
    return Stream.of("5x", "+5", "-1", "0x5", "5 5", "", "99999999999999999999")
        .map(v -> Arguments.of("Content-Length: " + v,
            POST + "Content-Length: " + v + "\r\n\r\nabcde" + SMUGGLED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nonNumericContentLength")
  void content_length_that_is_not_a_decimal_number_is_refused_before_the_backend(String name, String request) {
    assertRefused(request);
  }

  /**
   * HTTP/1.0 is no excuse: RFC 9112 6.3 makes differing Content-Length values an unrecoverable framing error
   * whatever the version, and with keep-alive the bytes past the first length are read as the next request.
   */
  @Test
  void conflicting_content_length_on_http_1_0_keep_alive_is_refused_before_the_backend() {
    String request = "POST /x HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nContent-Length: 3\r\n"
        + "Content-Length: 40\r\n\r\nabc" + "GET /smuggled HTTP/1.0\r\nHost: a\r\n\r\n";
    assertRefused(request);
  }
}
