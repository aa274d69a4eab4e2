package io.sluice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for a test to hand to a node before it starts. Two ways a port free a moment ago was taken before the
 * node bound it, both seen in CI: the kernel gave the same free port twice in one JVM (one node's proxy and another's
 * admin listener were handed 45093), and a port from the kernel's ephemeral range became the local port of some
 * process's outgoing connection (a node of LeaderKillTest could not bind its proxy port while three nodes were
 * connecting to PostgreSQL and to each other). So a port is never handed out twice in one JVM, and it is taken
 * below the ephemeral range ({@code net.ipv4.ip_local_port_range}), where no outgoing connection is given a port.
 * The test JVMs of one run (surefire's forks, {@code sluice.test.fork} of {@code sluice.test.forks}) each take a
 * slice of that range of their own, so that two JVMs never hand out the same port either.
 */
public final class Ports {
  private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();
  /** The lowest port handed out: above the well-known and most registered servers' ports of this machine. */
  private static final int BASE = 10_000;
  private static final int EPHEMERAL_LOW = ephemeralLow();
  private static final int FORKS = Math.max(1, Integer.getInteger("sluice.test.forks", 1));
  private static final int FORK = Math.floorMod(Integer.getInteger("sluice.test.fork", 1) - 1, FORKS);
  /** This JVM's slice of the ports between BASE and the ephemeral range. */
  private static final int LOW = BASE + FORK * ((EPHEMERAL_LOW - BASE) / FORKS);
  private static final int HIGH = LOW + (EPHEMERAL_LOW - BASE) / FORKS;

  private Ports() {
  }

  /** A port that was free a moment ago, not in the ephemeral range, and not handed out before in this JVM. */
  public static int free() {
    if (HIGH - LOW < 1_000) {
      return fromKernel(); // a machine whose ephemeral range leaves no room below it
    }
    for (int tries = 0; tries < 10_000; tries++) {
      int port = LOW + ThreadLocalRandom.current().nextInt(HIGH - LOW);
      if (!GIVEN.contains(port) && bindable(port) && GIVEN.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port between " + LOW + " and " + HIGH);
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(port)); // the wildcard address: a listener on any address of the port fails it
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int fromKernel() {
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

  /** The first port of the kernel's ephemeral range (Linux); 32768, its usual value, where it cannot be read. */
  private static int ephemeralLow() {
    // Read as a stream: Files.readString sizes its read by the file's size, which /proc reports as 0, and here gave
    // "3" (the first byte), so every port came from the kernel's ephemeral range after all.
    try (java.io.BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      String range = in.readLine().trim();
      return Integer.parseInt(range.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }
}
