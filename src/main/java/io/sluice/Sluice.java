package io.sluice;

import io.sluice.cli.Cli;
import io.sluice.cli.ConfigCommand;
import io.sluice.cli.EchoCommand;
import io.sluice.cli.SpansCommand;
import io.sluice.cli.TailCommand;
import io.sluice.node.NodeLauncher;
import io.sluice.settings.BuildInfo;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The command line: {@code sluice [run] [--config FILE]} starts a node, {@code sluice echo} the demo upstream,
 * {@code sluice config apply|export} talks to a node's admin API, {@code sluice tail} follows a tenant's access
 * stream, {@code sluice spans} prints the spans a node exports over OTLP/HTTP, {@code sluice --version} prints the version; {@code --help} on each. Exit codes: 0 done (a node: after
 * a clean drain), 1 a start failure or a refusal by the node, 2 bad arguments, settings or files.
 */
@Command(name = "sluice", mixinStandardHelpOptions = true,
    versionProvider = Sluice.Version.class, customSynopsis = "sluice [run] [--config FILE] | sluice COMMAND ...",
    description = "Sluice API gateway. Without a command: run.", commandListHeading = "%nCommands:%n",
    exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:done", "1:a start failure, or refused by the node",
        "2:bad arguments, settings or files"})
public final class Sluice implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE",
      description = "Settings (default: $SLUICE_CONFIG or conf/sluice.yaml)")
  Path config;

  private Sluice() {}

  public static void main(String[] args) {
    TailCommand tail = new TailCommand(System.out, System.err);
    // Ctrl-C during `sluice tail`: the cursor to resume from is printed once (nothing for other commands).
    Runtime.getRuntime().addShutdownHook(tail.cursorPrinter());
    int exit = 1;
    try {
      CommandLine line = commandLine(System.out, System.err, tail);
      exit = line.execute(args);
      line.getOut().flush(); // print() on a PrintWriter does not flush by itself
      line.getErr().flush();
    } catch (Throwable e) {
      // An error past picocli (one thrown while the node drains, say): said, and the JVM still exits. Without the
      // exit, main would end and leave the JVM running on the node's remaining threads, deaf to a second SIGTERM.
      e.printStackTrace();
    } finally {
      System.exit(exit);
    }
  }

  /** The whole command tree, printing to {@code out} and {@code err} (tests run it in-process). */
  public static CommandLine commandLine(PrintStream out, PrintStream err, TailCommand tail) {
    CommandLine line = new CommandLine(new Sluice())
        .addSubcommand(new Run())
        .addSubcommand(new EchoCommand())
        .addSubcommand(new ConfigCommand())
        .addSubcommand(tail)
        .addSubcommand(new SpansCommand());
    return Cli.configure(line, out, err);
  }

  /** {@code sluice} alone runs the node, as {@code sluice run} does. */
  @Override
  public Integer call() {
    return NodeLauncher.run(config);
  }

  @Command(name = "run", mixinStandardHelpOptions = true, customSynopsis = "sluice [run] [--config FILE]",
      description = "Starts a node and serves until SIGTERM or SIGINT, then drains it.")
  static final class Run implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE",
        description = "Settings (default: $SLUICE_CONFIG or conf/sluice.yaml)")
    Path config;

    @ParentCommand
    Sluice parent;

    @Override
    public Integer call() {
      return NodeLauncher.run(config != null ? config : parent.config);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {BuildInfo.current().toString()};
    }
  }
}
