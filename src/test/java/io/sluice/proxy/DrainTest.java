package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class DrainTest {

  @Test
  void stopping_finishes_in_flight_requests_and_refuses_new_connections(Vertx vertx) throws Exception {
    Backend slow = Backend.start(vertx, req -> vertx.setTimer(1000, t -> req.response().end("finished")));
    TestNode node = TestNode.start(TestNode.simpleRoutes(null, slow.port()));
    int port = node.proxyPort();
    Http http = new Http(vertx);
    try {
      Future<String> inFlight = http.send(new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/x"), null)
          .map(Http.Reply::text);
      while (slow.requests.get() == 0) {
        Thread.sleep(10);
      }
      Thread stopper = new Thread(node::close);
      stopper.start();
      Thread.sleep(300);
      assertThrows(IOException.class, () -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        }
      }, "a draining node accepts no new connection");
      // Found from outside: readiness said UP through the drain, so a load balancer kept sending to a closed port.
      Http.Reply ready = http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.adminPort())
          .setURI("/health/ready"));
      assertEquals(503, ready.status(), ready.text());
      assertEquals("finished", inFlight.await(), "the request in flight when the drain began completed");
      stopper.join(10_000);
    } finally {
      slow.close();
    }
  }
}
