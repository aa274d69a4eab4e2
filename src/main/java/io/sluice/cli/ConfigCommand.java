package io.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code sluice config apply FILE} and {@code sluice config export}: the admin API's /config from a shell or
 * a CI job (GitOps). Exit codes: 0 done, 2 the file or the arguments were refused (every field error is
 * printed), 1 the node could not be reached or refused for another reason (auth, conflict, store down).
 */
public final class ConfigCommand {

  static final String DEFAULT_ADMIN = "http://127.0.0.1:9001";
  /** A node answers at once or not at all; a whole apply of a large file takes well under this. */
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream out;
  private final PrintStream err;

  public ConfigCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs {@code config SUBCOMMAND ...} (the arguments after "config") and answers the exit code. */
  public int run(String[] args) {
    List<String> positional = new ArrayList<>();
    String admin = System.getenv().getOrDefault("SLUICE_ADMIN_URL", DEFAULT_ADMIN);
    String token = System.getenv("SLUICE_ADMIN_TOKEN");
    String format = "yaml";
    boolean dryRun = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--admin", "--token", "--format" -> {
          if (i + 1 >= args.length) {
            return usage(a + " needs a value");
          }
          String v = args[++i];
          if (a.equals("--admin")) {
            admin = v;
          } else if (a.equals("--token")) {
            token = v;
          } else {
            format = v;
          }
        }
        case "--dry-run" -> dryRun = true;
        default -> {
          if (a.startsWith("--")) {
            return usage("unknown option " + a);
          }
          positional.add(a);
        }
      }
    }
    if (positional.isEmpty()) {
      return usage("config needs a subcommand");
    }
    String base = admin.endsWith("/") ? admin.substring(0, admin.length() - 1) : admin;
    switch (positional.get(0)) {
      case "apply":
        if (positional.size() != 2) {
          return usage("config apply needs exactly one FILE");
        }
        return apply(base, token, Path.of(positional.get(1)), dryRun);
      case "export":
        if (positional.size() != 1) {
          return usage("config export takes no file");
        }
        if (!format.equals("yaml") && !format.equals("json")) {
          return usage("--format must be yaml or json");
        }
        return export(base, token, format);
      default:
        return usage("unknown config subcommand '" + positional.get(0) + "'");
    }
  }

  private int apply(String admin, String token, Path file, boolean dryRun) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      err.println("sluice: cannot read " + file + ": " + e.getMessage());
      return 2;
    }
    String type = file.toString().toLowerCase().endsWith(".json") ? "application/json" : "application/yaml";
    HttpRequest request = request(admin + "/config" + (dryRun ? "?dry_run=true" : ""), token)
        .header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofString(text)).build();
    HttpResponse<String> response = send(admin, request);
    if (response == null) {
      return 1;
    }
    JsonNode body = parse(response.body());
    if (response.statusCode() == 200) {
      out.printf("%s: %d created, %d updated, %d deleted (configuration version %d)%n",
          dryRun ? "dry run, nothing written" : "applied", body.path("created").asLong(),
          body.path("updated").asLong(), body.path("deleted").asLong(), body.path("version").asLong());
      for (JsonNode c : body.path("changes")) {
        out.printf("  %-6s %-7s %s%n", c.path("op").asText(), c.path("entity").asText(), c.path("name").asText());
      }
      return 0;
    }
    JsonNode error = body.path("error");
    if (response.statusCode() == 400) {
      err.println("sluice: " + file + " refused, nothing applied: " + error.path("message").asText());
      for (JsonNode f : error.path("fields")) {
        err.println("  " + f.path("field").asText() + ": " + f.path("reason").asText());
      }
      return 2;
    }
    return refused(response, error);
  }

  private int export(String admin, String token, String format) {
    HttpRequest request = request(admin + "/config", token)
        .header("Accept", format.equals("json") ? "application/json" : "application/yaml").GET().build();
    HttpResponse<String> response = send(admin, request);
    if (response == null) {
      return 1;
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
      err.println("sluice: cannot reach the admin API at " + admin + ": " + e);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("sluice: interrupted");
      return null;
    }
  }

  private int refused(HttpResponse<String> response, JsonNode error) {
    String message = error.path("message").asText(response.body());
    err.println("sluice: the admin API answered " + response.statusCode() + " "
        + error.path("code").asText("") + ": " + message);
    return 1;
  }

  private static JsonNode parse(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return JSON.createObjectNode();
    }
  }

  private int usage(String problem) {
    err.println("sluice: " + problem);
    err.println("usage: sluice config apply FILE [--admin URL] [--token T] [--dry-run]");
    err.println("       sluice config export [--admin URL] [--token T] [--format yaml|json]");
    err.println("       (URL defaults to $SLUICE_ADMIN_URL or " + DEFAULT_ADMIN + ", T to $SLUICE_ADMIN_TOKEN)");
    return 2;
  }
}
