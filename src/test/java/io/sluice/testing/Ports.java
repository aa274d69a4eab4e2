package io.sluice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ports for a test to hand to a node before it starts. The kernel may give the same free port twice when it was
 * closed in between (it did: one node's proxy and another's admin listener were handed 45093, and the second to
 * bind failed), so a port is never handed out twice in one test JVM.
 */
public final class Ports {
  private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

  private Ports() {
  }

  /** A port that was free a moment ago and was not handed out before in this JVM. */
  public static int free() {
    while (true) {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (GIVEN.add(port)) {
        return port;
      }
    }
  }
}
