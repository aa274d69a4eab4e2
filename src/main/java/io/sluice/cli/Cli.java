package io.sluice.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * What every command of the jar shares: output to the given streams, {@code usage:} synopses, the version on
 * every subcommand, and the two ways a command fails before it does anything: bad arguments print
 * {@code sluice: REASON} and the usage, exit 2; an unexpected exception prints {@code sluice: REASON}, exit 1.
 */
public final class Cli {

  /** Exit code of bad arguments, settings or files (picocli's own default for invalid input). */
  public static final int USAGE = 2;
  /** Exit code of a failure: a node that cannot start, a refusal by the node, an unreachable node. */
  public static final int FAILURE = 1;

  private Cli() {}

  public static CommandLine configure(CommandLine root, PrintStream out, PrintStream err) {
    root.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
        .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8))
        .setParameterExceptionHandler(Cli::badArguments)
        .setExecutionExceptionHandler((e, line, parsed) -> {
          line.getErr().println("sluice: " + line.getCommandName() + " failed: " + e);
          return FAILURE;
        });
    applyToTree(root, root.getCommandSpec().versionProvider());
    return root;
  }

  private static void applyToTree(CommandLine line, CommandLine.IVersionProvider version) {
    line.getCommandSpec().usageMessage().synopsisHeading("usage: ");
    if (version != null) {
      line.getCommandSpec().versionProvider(version);
    }
    line.getSubcommands().values().forEach(sub -> applyToTree(sub, version));
  }

  /** picocli's message, without its "Error: " prefix, and an unknown command named as one. */
  private static String reason(ParameterException e) {
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
        && !u.getCommandLine().getSubcommands().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
      return "unknown command '" + u.getUnmatched().get(0) + "'";
    }
    String message = String.valueOf(e.getMessage());
    return message.startsWith("Error: ") ? message.substring("Error: ".length()) : message;
  }

  private static int badArguments(ParameterException e, String[] args) {
    CommandLine line = e.getCommandLine();
    PrintWriter err = line.getErr();
    err.println("sluice: " + reason(e));
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.print(line.getHelp().synopsisHeading() + line.getHelp().synopsis(line.getHelp().synopsisHeadingLength()));
    err.println("(" + line.getCommandSpec().qualifiedName() + " --help for more)");
    return USAGE;
  }
}
