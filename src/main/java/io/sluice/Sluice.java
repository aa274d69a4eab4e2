package io.sluice;

import io.sluice.cli.ConfigCommand;
import io.sluice.cli.TailCommand;
import io.sluice.echo.EchoServer;
import io.sluice.node.NodeLauncher;
import io.sluice.settings.BuildInfo;
import io.vertx.core.Vertx;

/**
 * The command line: {@code sluice [run] [--config FILE]} starts a node, {@code sluice echo --port N} the
 * demo upstream, {@code sluice config apply|export} talks to a node's admin API (see ConfigCommand),
 * {@code sluice --version} prints the version. Exit code 2 means bad settings, arguments or file.
 */
public final class Sluice {

  private Sluice() {}

  public static void main(String[] args) {
    String command = args.length > 0 && !args[0].startsWith("-") ? args[0] : "run";
    String[] rest = args.length > 0 && !args[0].startsWith("-") ? java.util.Arrays.copyOfRange(args, 1, args.length)
        : args;
    if (java.util.Arrays.asList(args).contains("--version")) {
      System.out.println(BuildInfo.current());
      return;
    }
    switch (command) {
      case "run" -> NodeLauncher.run(option(rest, "--config", null));
      case "config" -> System.exit(new ConfigCommand(System.out, System.err).run(rest));
      case "tail" -> {
        TailCommand tail = new TailCommand(System.out, System.err);
        Runtime.getRuntime().addShutdownHook(tail.cursorPrinter());
        System.exit(tail.run(rest));
      }
      case "echo" -> echo(option(rest, "--host", "127.0.0.1"), Integer.parseInt(option(rest, "--port", "8070")));
      default -> usage("unknown command '" + command + "'");
    }
  }

  private static void echo(String host, int port) {
    Vertx vertx = Vertx.vertx();
    EchoServer.start(vertx, host, port)
        .onSuccess(s -> System.out.println("echo upstream listening on " + host + ":" + s.actualPort()))
        .onFailure(err -> {
          System.err.println("echo: cannot listen on " + host + ":" + port + ": " + err.getMessage());
          System.exit(1);
        });
  }

  static String option(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals(name)) {
        if (i + 1 >= args.length) {
          usage(name + " needs a value");
        }
        return args[i + 1];
      }
      if (args[i].startsWith(name + "=")) {
        return args[i].substring(name.length() + 1);
      }
    }
    return fallback;
  }

  static void usage(String problem) {
    System.err.println("sluice: " + problem);
    System.err.println("usage: sluice [run] [--config FILE] | sluice echo [--host H] [--port N]"
        + " | sluice config apply FILE|export [...] | sluice tail --tenant T --token K [--cursor C]"
        + " | sluice --version");
    System.exit(2);
  }
}
