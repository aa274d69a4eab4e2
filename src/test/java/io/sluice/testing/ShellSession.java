package io.sluice.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Shell snippets run one after another with bash, as a reader typing them into one terminal would: the
 * variables, functions and working directory a snippet leaves are there for the next one (carried through a
 * state file, since each snippet is its own bash process). Each snippet runs with {@code set -eo pipefail}, so
 * its exit code says whether every command in it succeeded; stdin is empty, stdout and stderr are captured
 * together, and background jobs it leaves are stopped when it ends.
 */
public final class ShellSession implements AutoCloseable {

  /** How a snippet ended: its exit code (-1 when it was stopped at the timeout) and what it printed. */
  public record Result(int exitCode, String output, boolean timedOut) {

    public boolean ok() {
      return exitCode == 0 && !timedOut;
    }

    /** The last {@code lines} lines of the output. */
    public String tail(int lines) {
      String[] all = output.split("\n", -1);
      int from = Math.max(0, all.length - lines);
      return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
    }
  }

  // Variables a snippet cannot or should not carry over: bash's own, and this class's (prefixed __sluice_).
  private static final String SAVE_STATE = """

      # --- end of the snippet: keep its variables, functions and directory for the next one ---
      { for __sluice_v in $(compgen -v); do
          case $__sluice_v in
            BASH*|COMP*|DIRSTACK|EUID|FUNCNAME|GROUPS|HIST*|HOSTNAME|HOSTTYPE|IFS|LINENO|MACHTYPE|OLDPWD|OPT*|\\
            OSTYPE|PIPESTATUS|PPID|PS[0-9]|PWD|RANDOM|SECONDS|SHELLOPTS|SHLVL|SRANDOM|UID|EPOCH*|_|__sluice_*) continue ;;
          esac
          __sluice_d=$(declare -p "$__sluice_v" 2>/dev/null) || continue
          __sluice_f=${__sluice_d#declare -}; __sluice_f=${__sluice_f%% *}
          [[ $__sluice_f == *r* ]] && continue
          printf '%s\\n' "$__sluice_d"
        done
        declare -f
        printf 'cd %q\\n' "$PWD"
      } > "$__sluice_state"
      """;

  private final Path dir;
  private final Path state;
  private final Path workDir;
  private final Map<String, String> env;
  private final String prelude;
  private int count;

  /**
   * @param workDir where the first snippet starts
   * @param env the whole environment of every snippet (nothing else is inherited)
   * @param prelude bash run before every snippet (functions, settings a test needs)
   */
  public ShellSession(Path workDir, Map<String, String> env, String prelude) {
    try {
      this.dir = Files.createTempDirectory("sluice-shell");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.state = dir.resolve("state.sh");
    this.workDir = workDir;
    this.env = Map.copyOf(env);
    this.prelude = prelude;
  }

  /** Runs one snippet; it may use what the snippets before it (that succeeded) defined. */
  public Result run(String snippet, Duration timeout) {
    Path script = dir.resolve("snippet-" + (++count) + ".sh");
    Path output = dir.resolve("snippet-" + count + ".out");
    String text = "__sluice_state=" + quote(state.toString()) + "\n"
        + "[ -f \"$__sluice_state\" ] && source \"$__sluice_state\"\n"
        + "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
        + "set -eo pipefail\n"
        + prelude + "\n"
        + "# --- the snippet ---\n"
        + snippet
        + SAVE_STATE;
    try {
      Files.writeString(script, text);
      ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(workDir.toFile())
          .redirectErrorStream(true).redirectOutput(output.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.environment().clear();
      pb.environment().putAll(env);
      Process process = pb.start();
      boolean done = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!done) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor();
      }
      String printed = Files.readString(output, StandardCharsets.UTF_8);
      return new Result(done ? process.exitValue() : -1, printed, !done);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  @Override
  public void close() {
    TempDirs.delete(dir);
  }
}
