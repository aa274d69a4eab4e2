package io.sluice.bus;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * The codec of an immutable event-bus record: JSON on the wire between nodes, the same instance locally
 * (immutable, so sharing it is safe).
 */
public final class RecordCodec<T> implements MessageCodec<T, T> {

  private final String name;
  private final Function<T, JsonObject> toJson;
  private final Function<JsonObject, T> fromJson;

  RecordCodec(String name, Function<T, JsonObject> toJson, Function<JsonObject, T> fromJson) {
    this.name = name;
    this.toJson = toJson;
    this.fromJson = fromJson;
  }

  @Override
  public void encodeToWire(Buffer buffer, T record) {
    Buffer json = toJson.apply(record).toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return fromJson.apply(new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length)));
  }

  @Override
  public T transform(T record) {
    return record;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  /** Registers Sluice's message codecs on a node's event bus, as default codecs of their record types. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static void registerAll(Vertx vertx) {
    vertx.eventBus().registerDefaultCodec(ConfigChanged.class, (MessageCodec) ConfigChanged.CODEC);
    vertx.eventBus().registerDefaultCodec(NodeApplied.class, (MessageCodec) NodeApplied.CODEC);
  }
}
