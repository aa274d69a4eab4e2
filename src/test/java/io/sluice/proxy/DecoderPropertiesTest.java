package io.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.route.Paths;
import io.vertx.core.http.HttpServerOptions;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the two places a request could be read two ways: the strict decoder reads a chunked body
 * exactly as a reference reader (big integers, no overflow) does, or refuses it, however the bytes are split
 * into packets; and the canonical path is a fixed point with nothing left that a server could read otherwise.
 * A bounded number of tries runs in {@code make test}; {@code -Djqwik.tries.default=100000} runs more.
 */
class DecoderPropertiesTest {

  private static final BigInteger MAX_CHUNK = BigInteger.valueOf(Integer.MAX_VALUE);

  /** One chunk: the size line as sent (hex, maybe with leading zeros, any case), and its data. */
  record Chunk(String sizeLine, byte[] data) {}

  @Provide
  Arbitrary<Chunk> chunks() {
    Arbitrary<byte[]> data = Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
    Arbitrary<Integer> zeros = Arbitraries.integers().between(0, 12);
    Arbitrary<Boolean> upper = Arbitraries.of(true, false);
    Arbitrary<Chunk> honest = Combinators.combine(data, zeros, upper).as((d, z, u) -> {
      String hex = Integer.toHexString(d.length);
      return new Chunk("0".repeat(z) + (u ? hex.toUpperCase(Locale.ROOT) : hex), d);
    });
    // A size that wraps around a 32-bit int to the length of the data that follows (100000005 for 5 bytes).
    Arbitrary<Chunk> wrapping = Combinators.combine(data, Arbitraries.integers().between(1, 15))
        .as((d, high) -> new Chunk(Integer.toHexString(high) + String.format("%08x", d.length), d));
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(9, honest), net.jqwik.api.Tuple.of(1, wrapping));
  }

  @Property(tries = 300)
  void a_chunked_body_is_read_as_a_reference_reader_reads_it_or_refused(
      @ForAll @Size(max = 6) List<@From("chunks") Chunk> chunks,
      @ForAll @Size(max = 8) List<@IntRange(min = 1, max = 60) Integer> splits) {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    boolean overflow = false;
    for (Chunk c : chunks) {
      if (c.data().length == 0) {
        continue; // a zero size ends the body
      }
      wire.writeBytes((c.sizeLine() + "\r\n").getBytes(StandardCharsets.US_ASCII));
      wire.writeBytes(c.data());
      wire.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      BigInteger declared = new BigInteger(c.sizeLine(), 16);
      overflow |= declared.compareTo(MAX_CHUNK) > 0;
      expected.writeBytes(c.data());
    }
    wire.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    Decoded got = decode(wire.toByteArray(), splits);
    if (overflow) {
      if (!got.refused) {
        throw new AssertionError("a chunk size past 2^31-1 was accepted; the body read was "
            + got.body.length + " bytes");
      }
    } else {
      if (got.refused || !got.complete) {
        throw new AssertionError("an honest chunked body was " + (got.refused ? "refused" : "not completed"));
      }
      if (!java.util.Arrays.equals(expected.toByteArray(), got.body)) {
        throw new AssertionError("the body read differs from the body sent");
      }
    }
  }

  /** What the decoder made of a byte stream fed in packets. */
  private record Decoded(boolean refused, boolean complete, byte[] body) {}

  private static Decoded decode(byte[] wire, List<Integer> splits) {
    EmbeddedChannel channel = new EmbeddedChannel(new StrictRequestDecoder(new HttpServerOptions(), 100, 10_000));
    int at = 0;
    for (int s : splits) {
      if (at >= wire.length) {
        break;
      }
      int n = Math.min(s, wire.length - at);
      channel.writeInbound(Unpooled.wrappedBuffer(wire, at, n));
      at += n;
    }
    if (at < wire.length) {
      channel.writeInbound(Unpooled.wrappedBuffer(wire, at, wire.length - at));
    }
    boolean refused = false;
    boolean complete = false;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    Object o;
    while ((o = channel.readInbound()) != null) {
      if (o instanceof HttpRequest r && r.decoderResult().isFailure()) {
        refused = true;
      }
      if (o instanceof HttpContent c) {
        if (c.decoderResult().isFailure()) {
          refused = true;
        } else {
          ByteBuf content = c.content();
          byte[] b = new byte[content.readableBytes()];
          content.getBytes(content.readerIndex(), b);
          body.writeBytes(b);
          complete |= c instanceof LastHttpContent;
        }
      }
      ReferenceCountUtil.release(o);
    }
    channel.finishAndReleaseAll();
    return new Decoded(refused, complete && !refused, body.toByteArray());
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> token = Arbitraries.of("/", "/", "/", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%00", "%61",
        "%7e", "%7E", "%20", "%c3%a9", "a", "b", "admin", ";", "\\", "%", "%z", "~", "-", "_");
    return token.list().ofMinSize(1).ofMaxSize(12).map(l -> "/" + String.join("", l));
  }

  @Property(tries = 2000)
  void a_canonical_path_is_a_fixed_point_with_nothing_left_to_read_two_ways(@ForAll("paths") String path) {
    String c;
    try {
      c = Paths.canonical(path);
    } catch (Paths.Refused refused) {
      return; // refusing is always allowed; what is accepted must be unambiguous
    }
    check(c.startsWith("/"), path, c, "starts with /");
    check(Paths.canonical(c).equals(c), path, c, "canonical again is itself");
    check(!c.contains("//"), path, c, "no empty segment");
    List<String> segments = new ArrayList<>(List.of(c.substring(1).split("/", -1)));
    check(!segments.contains(".") && !segments.contains(".."), path, c, "no dot segment");
    check(!c.contains("\\") && !c.contains(";"), path, c, "no backslash or semicolon");
    for (int i = c.indexOf('%'); i >= 0; i = c.indexOf('%', i + 1)) {
      String hex = c.substring(i + 1, Math.min(c.length(), i + 3));
      check(hex.matches("[0-9A-F]{2}"), path, c, "escapes in upper-case hex");
      int b = Integer.parseInt(hex, 16);
      check(b != '/' && b != '\\' && b != 0, path, c, "no encoded slash, backslash or NUL");
      check(!(Character.isLetterOrDigit(b) && b < 0x80 || "-._~".indexOf(b) >= 0), path, c,
          "no escaped unreserved character");
    }
  }

  private static void check(boolean ok, String path, String canonical, String what) {
    if (!ok) {
      throw new AssertionError(what + ": " + path + " -> " + canonical);
    }
  }
}
