package io.sluice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A throwaway redis-server of one test, on a free port, without persistence: to stop, pause (SIGSTOP) or
 * flush without touching the machine's shared Redis on 6379. Signals go to this process by its PID only.
 */
public final class RedisServer implements AutoCloseable {

  private final Process process;
  private final int port;
  private final Path dir;

  private RedisServer(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  public static RedisServer start() {
    try {
      int port = Ports.free();
      Path dir = Files.createTempDirectory("redis");
      Process p = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", dir.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
      RedisServer server = new RedisServer(p, port, dir);
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (true) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
          return server;
        } catch (IOException e) {
          if (System.nanoTime() > deadline || !p.isAlive()) {
            server.close();
            throw new IllegalStateException("redis-server did not start on " + port);
          }
          Thread.sleep(20);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Runs redis-cli against this server and answers its output. */
  public String cli(String... args) {
    try {
      String[] cmd = new String[args.length + 3];
      cmd[0] = "redis-cli";
      cmd[1] = "-p";
      cmd[2] = String.valueOf(port);
      System.arraycopy(args, 0, cmd, 3, args.length);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGSTOP: connections stay open and nothing is answered. */
  public void pause() {
    signal("STOP");
  }

  /** SIGCONT. */
  public void resume() {
    signal("CONT");
  }

  /** Stops the server and waits until it is gone. */
  public void stop() {
    process.destroy();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void signal(String name) {
    try {
      new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start().waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      resume();
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    TempDirs.delete(dir);
  }
}
