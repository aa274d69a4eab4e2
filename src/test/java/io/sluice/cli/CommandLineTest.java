package io.sluice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.Sluice;
import io.sluice.settings.BuildInfo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The command tree in-process, for what it decides before doing anything: bad arguments exit 2 with one line
 * naming the reason and the command's usage; --help and --version exit 0. (Separate JVMs: NodeProcessTest,
 * ConfigCommandTest.)
 */
class CommandLineTest {

  private record Run(int exit, String out, String err) {

    /** The first line on stderr: the reason. */
    String reason() {
      return err.lines().findFirst().orElse("");
    }
  }

  private static Run sluice(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    int exit = Sluice.commandLine(o, e, new TailCommand(o, e)).execute(args);
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static void assertRefused(Run run, String reason, String usage) {
    assertEquals(2, run.exit(), run.err());
    assertEquals("sluice: " + reason, run.reason(), run.err());
    assertTrue(run.err().contains("usage: " + usage), run.err());
  }

  @Test
  void refuses_a_port_that_is_not_a_number_with_exit_2() {
    assertRefused(sluice("echo", "--port", "x"), "Invalid value for option '--port': 'x' is not an int",
        "sluice echo [--host H] [--port N]");
  }

  @Test
  void refuses_a_port_out_of_range() {
    assertRefused(sluice("echo", "--port", "70000"), "--port must be between 0 and 65535, not 70000",
        "sluice echo [--host H] [--port N]");
  }

  @Test
  void refuses_tail_with_both_a_cursor_and_a_start() {
    assertRefused(sluice("tail", "--tenant", "acme", "--token", "st_x", "--cursor", "c1", "--from", "earliest"),
        "--cursor=C, --from=earliest|latest are mutually exclusive (specify only one)", "sluice tail --tenant T");
  }

  @Test
  void refuses_tail_arguments_it_cannot_use() {
    assertRefused(sluice("tail", "--tenant", "acme", "--token", "st_x", "--from", "yesterday"),
        "Invalid value for option '--from': expected one of [earliest, latest] (case-sensitive) but was 'yesterday'",
        "sluice tail");
    assertRefused(sluice("tail", "--token", "st_x"), "Missing required option: '--tenant=T'", "sluice tail");
    assertRefused(sluice("tail", "--tenant", "acme", "--token", "st_x", "--limit", "-1"),
        "--limit must be 0 (no limit) or more, not -1", "sluice tail");
    assertRefused(sluice("tail", "--tenant", "acme", "--token", "st_x", "--url", "http://127.0.0.1:9002"),
        "--url must be a ws:// or wss:// URL, not 'http://127.0.0.1:9002'", "sluice tail");
  }

  @Test
  void refuses_unknown_commands_and_options() {
    assertRefused(sluice("frobnicate"), "unknown command 'frobnicate'", "sluice [run] [--config FILE]");
    assertRefused(sluice("config", "import", "x.yaml"), "unknown command 'import'", "sluice config apply FILE");
    assertRefused(sluice("run", "--confg=x.yaml"), "Unknown option: '--confg=x.yaml'",
        "sluice [run] [--config FILE]");
    assertRefused(sluice("config"), "config needs a subcommand: apply, diff, export or rollback",
        "sluice config apply FILE");
  }

  @Test
  void refuses_config_arguments_it_cannot_use() {
    assertRefused(sluice("config", "export", "--format", "xml"),
        "Invalid value for option '--format': expected one of [yaml, json] (case-sensitive) but was 'xml'",
        "sluice config export [--admin URL] [--token T] [--format yaml|json]");
    assertRefused(sluice("config", "export", "--admin", "127.0.0.1:9001"),
        "--admin must be an http:// or https:// URL, not '127.0.0.1:9001'", "sluice config export");
    assertRefused(sluice("config", "apply", "a.yaml", "b.yaml"), "Unmatched argument at index 3: 'b.yaml'",
        "sluice config apply FILE");
  }

  @Test
  void help_on_every_command_prints_its_usage_and_exits_0() {
    for (List<String> command : List.<List<String>>of(List.of(), List.of("run"), List.of("echo"), List.of("config"),
        List.of("config", "apply"), List.of("config", "export"), List.of("config", "diff"),
        List.of("config", "rollback"), List.of("tail"), List.of("spans"))) {
      String[] args = Stream.concat(command.stream(), Stream.of("--help")).toArray(String[]::new);
      Run run = sluice(args);
      assertEquals(0, run.exit(), run.err());
      String synopsis = command.isEmpty() || command.equals(List.of("run")) ? "sluice [run] [--config FILE]"
          : "sluice " + String.join(" ", command);
      assertTrue(run.out().startsWith("usage: " + synopsis), command + ": " + run.out());
      assertTrue(run.out().contains("--help"), run.out());
    }
  }

  @Test
  void version_is_the_one_version_on_every_command() {
    for (String[] args : List.of(new String[] {"--version"}, new String[] {"echo", "--version"})) {
      Run run = sluice(args);
      assertEquals(0, run.exit());
      assertEquals(BuildInfo.current().toString(), run.out().trim());
    }
  }
}
