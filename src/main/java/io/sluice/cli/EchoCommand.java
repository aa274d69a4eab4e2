package io.sluice.cli;

import io.sluice.echo.EchoServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code sluice echo [--host H] [--port N]}: the demo upstream (see EchoServer) until SIGTERM or SIGINT.
 * Exit codes: 0 stopped by a signal, 1 cannot listen, 2 bad arguments.
 */
@Command(name = "echo", mixinStandardHelpOptions = true, customSynopsis = "sluice echo [--host H] [--port N]",
    description = "The demo upstream: answers every request with a JSON echo of its method, path, query, headers"
        + " and body, and echoes WebSocket messages back.")
public final class EchoCommand implements Callable<Integer> {

  @Option(names = "--host", paramLabel = "H", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", paramLabel = "N", defaultValue = "8070",
      description = "Port to listen on, 0 for a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--port must be between 0 and 65535, not " + port);
    }
    Vertx vertx = Vertx.vertx();
    HttpServer server;
    try {
      server = EchoServer.start(vertx, host, port).await();
    } catch (Exception e) {
      spec.commandLine().getErr().println("sluice echo: cannot listen on " + host + ":" + port + ": " + e.getMessage());
      vertx.close();
      return Cli.FAILURE;
    }
    spec.commandLine().getOut().println("echo upstream listening on " + host + ":" + server.actualPort());
    CountDownLatch stopping = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), s -> stopping.countDown());
    Signal.handle(new Signal("INT"), s -> stopping.countDown());
    stopping.await();
    vertx.close().await();
    return 0;
  }
}
