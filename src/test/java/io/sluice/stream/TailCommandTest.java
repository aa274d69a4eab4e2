package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cli.TailCommand;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** sluice tail: records as JSON lines, and the cursor to resume from on exit (which resumes exactly). */
@ExtendWith(VertxExtension.class)
class TailCommandTest {

  private record Run(int code, List<String> lines, String err) {}

  private static Run tail(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new TailCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
    String text = out.toString(StandardCharsets.UTF_8);
    return new Run(code, text.isEmpty() ? List.of() : List.of(text.split("\n")), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void prints_records_and_the_cursor_that_resumes_after_them(Vertx vertx) {
    try (StreamEnv env = new StreamEnv(vertx)) {
      TestNode node = env.node();
      try {
        String token = env.token(node, "acme");
        for (int i = 0; i < 8; i++) {
          env.request(node, "/a/t", "t" + i);
        }
        String url = "ws://127.0.0.1:" + node.node().streamPort();
        Run first = tail("--tenant", "acme", "--token", token, "--from", "earliest", "--url", url, "--limit", "5");
        assertEquals(0, first.code(), first.err());
        assertEquals(5, first.lines().size());
        assertEquals("t0", new JsonObject(first.lines().get(0)).getString("request_id"));
        assertTrue(first.err().startsWith("cursor: "), first.err());
        String cursor = first.err().trim().substring("cursor: ".length());

        Run rest = tail("--tenant", "acme", "--token", token, "--cursor", cursor, "--url", url, "--limit", "3");
        assertEquals(0, rest.code(), rest.err());
        assertEquals(List.of("t5", "t6", "t7"),
            rest.lines().stream().map(l -> new JsonObject(l).getString("request_id")).toList());

        Run refused = tail("--tenant", "acme", "--token", "st_wrong", "--url", url, "--limit", "1");
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("4401"), refused.err());
        Run garbage = tail("--tenant", "acme", "--token", token, "--cursor", "garbage.abc", "--url", url, "--limit", "1");
        assertEquals(1, garbage.code(), garbage.err());
        assertTrue(garbage.err().contains("4403"), garbage.err());
        assertTrue(!garbage.err().contains("cursor: garbage"), "a refused cursor is no cursor to resume from: "
            + garbage.err());
        assertEquals(2, tail("--tenant", "acme").code(), "no token: bad arguments");
        // Found from outside: a --url nothing listens on was retried forever; never reached, it is an exit 1.
        Run nowhere = tail("--tenant", "acme", "--token", token, "--url",
            "ws://127.0.0.1:" + io.sluice.testing.Ports.free(), "--limit", "1");
        assertEquals(1, nowhere.code(), nowhere.err());
        assertTrue(nowhere.err().contains("cannot connect"), nowhere.err());
      } finally {
        node.close();
      }
    }
  }
}
