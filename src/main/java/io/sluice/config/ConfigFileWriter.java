package io.sluice.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * A declarative file written piece by piece, with its consumers given one at a time: an export of a million
 * consumers holds one consumer and about {@link #CHUNK} bytes, never the file. The bytes are those
 * {@code mapper.writeValueAsString(config.sorted())} writes for the same configuration (the same generator
 * calls, field by field in {@link GatewayConfig}'s order); the consumers must come in the file's order
 * ({@link GatewayConfig#CONSUMER_ORDER}). Not thread-safe: one writer per export.
 */
public final class ConfigFileWriter {

  /** Bytes gathered before they are handed on. */
  static final int CHUNK = 32 * 1024;

  private final ObjectMapper mapper;
  private final GatewayConfig rest;
  /** False for a tenant's part, which carries no plugins key at all (plugins are an operator's). */
  private final boolean withPlugins;
  private final Consumer<byte[]> out;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(CHUNK + 4096);
  private final JsonGenerator generator;

  /**
   * Starts the file of {@code rest} (a configuration with consumers, taken as sorted; its own consumers are
   * written first, then the ones given to {@link #consumer}), handing its bytes to {@code out} in chunks.
   */
  public ConfigFileWriter(ObjectMapper mapper, GatewayConfig rest, Consumer<byte[]> out) {
    this(mapper, rest, true, out);
  }

  /**
   * As above; {@code withPlugins} false leaves the plugins key out (a tenant's part: an empty list there read as
   * "this tenant's routes have no plugins" while an operator's plugin guarded them).
   */
  public ConfigFileWriter(ObjectMapper mapper, GatewayConfig rest, boolean withPlugins, Consumer<byte[]> out) {
    if (!rest.hasConsumers()) {
      throw new IllegalArgumentException("an export manages consumers: give an empty list");
    }
    this.mapper = mapper;
    this.rest = rest;
    this.withPlugins = withPlugins;
    this.out = out;
    try {
      // Over a Writer, as writeValueAsString writes: a generator over bytes would escape characters past U+FFFF.
      ObjectWriter writer = mapper.writer();
      generator = writer.createGenerator(new OutputStreamWriter(buffer, StandardCharsets.UTF_8));
      generator.writeStartObject();
      generator.writeNumberField("format_version", rest.formatVersion());
      if (rest.hasTenants()) {
        field("tenants", rest.tenants());
      }
      if (rest.hasCertificates()) {
        field("certificates", rest.certificates());
      }
      field("services", rest.services());
      generator.writeFieldName("consumers");
      generator.writeStartArray();
      for (ConsumerEntry c : rest.consumers()) {
        consumer(c);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next consumer (with its credentials put in the file's order here). */
  public void consumer(ConsumerEntry c) {
    try {
      mapper.writeValue(generator, c.sorted());
      drain();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the rest of the file (plugins, routes) and hands on the last bytes. */
  public void end() {
    try {
      generator.writeEndArray();
      if (withPlugins) {
        field("plugins", rest.plugins());
      }
      field("routes", rest.routes());
      generator.writeEndObject();
      generator.close(); // flushes what it holds
      if (buffer.size() > 0) {
        out.accept(buffer.toByteArray());
        buffer.reset();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void field(String name, Object value) throws IOException {
    generator.writeFieldName(name);
    mapper.writeValue(generator, value);
  }

  private void drain() throws IOException {
    generator.flush();
    if (buffer.size() >= CHUNK) {
      out.accept(buffer.toByteArray());
      buffer.reset();
    }
  }
}
