package io.sluice.bench;

import io.netty.channel.EventLoopGroup;
import io.sluice.node.SluiceNode;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.transport.Transport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Where the propagation benchmarks take their time stamps: event-bus consumers on an event loop of the benchmark's
 * own, which sleeps between events. On one of a node's loops that also carries proxy traffic (where a consumer
 * registered from the main thread may land), an event waited behind that traffic before its stamp was taken, and
 * the wait was counted as propagation.
 */
final class Stamps {
  private final EventLoopGroup loop;

  Stamps(SluiceNode any) {
    loop = ((VertxInternal) any.vertx()).transport()
        .eventLoopGroup(Transport.IO_EVENT_LOOP_GROUP, 1, r -> new Thread(r, "bench-stamps"), 0);
  }

  /** Registers {@code handler} for {@code address} on {@code node}'s event bus, on the stamps' loop; waits for it. */
  <T> void consume(SluiceNode node, String address, Handler<Message<T>> handler) {
    VertxInternal vertx = (VertxInternal) node.vertx();
    CompletableFuture<Void> registered = new CompletableFuture<>();
    vertx.contextBuilder().withEventLoop(loop.next()).build().runOnContext(v ->
        vertx.eventBus().<T>localConsumer(address, handler).completion().onComplete(ar -> {
          if (ar.succeeded()) {
            registered.complete(null);
          } else {
            registered.completeExceptionally(ar.cause());
          }
        }));
    try {
      registered.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the stamps' consumer of " + address + " was not registered: " + e, e);
    }
  }
}
