package io.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice config apply|diff FILE}, {@code sluice config export} and {@code sluice config rollback}: the
 * admin API's /config from a shell or a CI job (GitOps). {@code diff} is a dry run printed for a person: every
 * entity the file would change, and under each update every field with its old and new value. Exit codes:
 * 0 done, 2 the file or the arguments were refused (every field error is
 * printed), 1 the node could not be reached or refused for another reason (auth, conflict, store down).
 */
@Command(name = "config", mixinStandardHelpOptions = true, customSynopsis = {
    "sluice config apply FILE [--admin URL] [--token T] [--dry-run]",
    "       sluice config diff FILE [--admin URL] [--token T]",
    "       sluice config export [--admin URL] [--token T] [--format yaml|json] [--at N]",
    "       sluice config rollback --to N [--admin URL] [--token T] [--dry-run]"},
    description = "Reads or applies a node's whole configuration through its admin API (/config).",
    subcommands = {ConfigCommand.Apply.class, ConfigCommand.Diff.class, ConfigCommand.Export.class,
        ConfigCommand.Rollback.class})
public final class ConfigCommand implements Runnable {

  static final String DEFAULT_ADMIN = "http://127.0.0.1:9001";
  /** A node answers at once or not at all; a whole apply of a large file takes well under this. */
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec
  CommandSpec spec;

  /** {@code sluice config} without apply or export. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "config needs a subcommand: apply, diff, export or rollback");
  }

  /** The node to talk to: options of both subcommands. */
  static final class Target {
    @Option(names = "--admin", paramLabel = "URL", defaultValue = "${env:SLUICE_ADMIN_URL:-" + DEFAULT_ADMIN + "}",
        description = "The node's admin API (default: $SLUICE_ADMIN_URL, else " + DEFAULT_ADMIN + ").")
    String admin;

    @Option(names = "--token", paramLabel = "T", defaultValue = "${env:SLUICE_ADMIN_TOKEN}",
        description = "Admin bearer token (default: $SLUICE_ADMIN_TOKEN).")
    String token;

    /** The URL without a trailing slash; anything but an http(s) URL with a host is a bad argument. */
    String base(CommandSpec spec) {
      try {
        URI uri = new URI(admin);
        if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
          return admin.endsWith("/") ? admin.substring(0, admin.length() - 1) : admin;
        }
      } catch (URISyntaxException e) {
        // reported below
      }
      throw new ParameterException(spec.commandLine(), "--admin must be an http:// or https:// URL, not '"
          + admin + "'");
    }
  }

  @Command(name = "apply", mixinStandardHelpOptions = true,
      customSynopsis = "sluice config apply FILE [--admin URL] [--token T] [--dry-run]",
      description = "Applies a declarative file (YAML, or JSON by its .json name) in one transaction and prints"
          + " the diff; nothing is applied if anything is invalid.")
  static final class Apply implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The declarative configuration file.")
    Path file;

    @Option(names = "--dry-run", description = "Validate and print the diff; write nothing.")
    boolean dryRun;

    @Mixin
    Target target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return new Session(spec).apply(target.base(spec), target.token, file, dryRun);
    }
  }

  @Command(name = "diff", mixinStandardHelpOptions = true,
      customSynopsis = "sluice config diff FILE [--admin URL] [--token T]",
      description = "Prints what applying the file would change on the node (entity, and for an update every"
          + " field with its old and new value); writes nothing.")
  static final class Diff implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The declarative configuration file.")
    Path file;

    @Mixin
    Target target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return new Session(spec).apply(target.base(spec), target.token, file, true);
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      customSynopsis = "sluice config rollback --to N [--admin URL] [--token T] [--dry-run]",
      description = "Brings the configuration back to what it was at version N, as a new version.")
  static final class Rollback implements Callable<Integer> {
    @Option(names = "--to", paramLabel = "N", required = true, description = "The configuration version.")
    long to;

    @Option(names = "--dry-run", description = "Print the diff; write nothing.")
    boolean dryRun;

    @Mixin
    Target target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return new Session(spec).rollback(target.base(spec), target.token, to, dryRun);
    }
  }

  enum Format { yaml, json }

  @Command(name = "export", mixinStandardHelpOptions = true,
      customSynopsis = "sluice config export [--admin URL] [--token T] [--format yaml|json] [--at N]",
      description = "Prints the node's whole configuration.")
  static final class Export implements Callable<Integer> {
    @Option(names = "--format", paramLabel = "yaml|json", defaultValue = "yaml",
        description = "Output format (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--at", paramLabel = "N", description = "The configuration as it was at version N.")
    Long version;

    @Mixin
    Target target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return new Session(spec).export(target.base(spec), target.token, format, version);
    }
  }

  /** One run of a subcommand: its output streams and the HTTP exchange with the node. */
  private static final class Session {
    private final PrintWriter out;
    private final PrintWriter err;

    Session(CommandSpec spec) {
      this.out = spec.commandLine().getOut();
      this.err = spec.commandLine().getErr();
    }

    int apply(String admin, String token, Path file, boolean dryRun) {
      String text;
      try {
        text = Files.readString(file);
      } catch (IOException e) {
        String why = e instanceof NoSuchFileException ? "no such file"
            : e instanceof AccessDeniedException ? "permission denied" : e.toString();
        err.println("sluice: cannot read " + file + ": " + why);
        return Cli.USAGE;
      }
      String type = file.toString().toLowerCase().endsWith(".json") ? "application/json" : "application/yaml";
      HttpRequest request = request(admin + "/config" + (dryRun ? "?dry_run=true" : ""), token)
          .header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofString(text)).build();
      HttpResponse<String> response = send(admin, request);
      if (response == null) {
        return Cli.FAILURE;
      }
      JsonNode body = parse(response.body());
      if (response.statusCode() == 200) {
        printDiff(dryRun ? "dry run, nothing written" : "applied", body);
        return 0;
      }
      JsonNode error = body.path("error");
      if (response.statusCode() == 400) {
        err.println("sluice: " + file + " refused, nothing applied: "
            + withoutNothingApplied(text(error.path("message"))));
        for (JsonNode f : error.path("fields")) {
          err.println("  " + text(f.path("field")) + ": " + text(f.path("reason")));
        }
        return Cli.USAGE;
      }
      return refused(response, error);
    }

    /** The server's message says "nothing applied" too ("10 invalid field(s); nothing applied"): said once here. */
    static String withoutNothingApplied(String message) {
      return message.replaceFirst("^nothing applied: ", "").replaceFirst("[;,] nothing applied$", "");
    }

    int rollback(String admin, String token, long to, boolean dryRun) {
      HttpRequest request = request(admin + "/config/rollback?to=" + to + (dryRun ? "&dry_run=true" : ""), token)
          .POST(HttpRequest.BodyPublishers.noBody()).build();
      HttpResponse<String> response = send(admin, request);
      if (response == null) {
        return Cli.FAILURE;
      }
      JsonNode body = parse(response.body());
      if (response.statusCode() != 200) {
        return refused(response, body.path("error"));
      }
      printDiff((dryRun ? "dry run of a rollback to version " : "rolled back to version ") + to
          + (dryRun ? ", nothing written" : ""), body);
      return 0;
    }

    /** The diff of an answer: counts, then every change, and under an update every field (old -> new). */
    private void printDiff(String what, JsonNode body) {
      out.printf("%s: %d created, %d updated, %d deleted (configuration version %d)%n", what,
          body.path("created").asLong(), body.path("updated").asLong(), body.path("deleted").asLong(),
          body.path("version").asLong());
      for (JsonNode c : body.path("changes")) {
        out.printf("  %-6s %-7s %s%n", text(c.path("op")), text(c.path("entity")), text(c.path("name")));
        for (JsonNode f : c.path("fields")) {
          out.printf("      %s: %s -> %s%n", text(f.path("field")), shown(f.get("old")), shown(f.get("new")));
        }
      }
      if (!body.path("generated_keys").isEmpty()) {
        // Printed this once: the node keeps only their digests.
        out.println("generated API keys (shown once, store them now):");
        for (JsonNode k : body.path("generated_keys")) {
          out.printf("  %s %s%n", text(k.path("consumer")), text(k.path("key")));
        }
      }
    }

    private static String shown(JsonNode value) {
      return value == null || value.isNull() ? "(none)" : TerminalText.safe(value.toString());
    }

    /** A string of the node's answer as it may be printed ({@link TerminalText}). */
    private static String text(JsonNode value) {
      return TerminalText.safe(value.asText());
    }

    int export(String admin, String token, Format format, Long version) {
      HttpRequest request = request(admin + "/config" + (version == null ? "" : "?version=" + version), token)
          .header("Accept", format == Format.json ? "application/json" : "application/yaml").GET().build();
      HttpResponse<String> response = send(admin, request);
      if (response == null) {
        return Cli.FAILURE;
      }
      if (response.statusCode() != 200) {
        return refused(response, parse(response.body()).path("error"));
      }
      out.print(response.body());
      if (!response.body().endsWith("\n")) {
        out.println();
      }
      return 0;
    }

    private static HttpRequest.Builder request(String uri, String token) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).timeout(TIMEOUT);
      if (token != null && !token.isEmpty()) {
        b.header("Authorization", "Bearer " + token);
      }
      return b;
    }

    private HttpResponse<String> send(String admin, HttpRequest request) {
      HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
      try {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        // The exception's class alone (java.net.ConnectException) said nothing of why: its message, or the class's.
        err.println("sluice: cannot reach the admin API at " + admin + ": "
            + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName().replace("Exception", "")
            .replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT) + " failed"));
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        err.println("sluice: interrupted");
        return null;
      }
    }

    private int refused(HttpResponse<String> response, JsonNode error) {
      String message = TerminalText.safe(error.path("message").asText(response.body()));
      err.println("sluice: the admin API answered " + response.statusCode() + " "
          + text(error.path("code")) + ": " + message);
      for (JsonNode f : error.path("fields")) { // a stored row at fault is named by its entity and name
        String row = f.has("entity") ? text(f.path("entity")) + " '" + text(f.path("name")) + "': " : "";
        err.println("  " + row + text(f.path("field")) + ": " + text(f.path("reason")));
      }
      return Cli.FAILURE;
    }

    private static JsonNode parse(String body) {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        return JSON.createObjectNode();
      }
    }
  }
}
