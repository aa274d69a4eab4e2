package io.sluice.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.echo.EchoServer;
import io.sluice.testing.MarkdownBlocks;
import io.sluice.testing.MarkdownBlocks.Block;
import io.sluice.testing.RedisServer;
import io.sluice.testing.TempDirs;
import io.sluice.testing.SharedKafka;
import io.sluice.testing.ShellSession;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The documentation runs as written. Every {@code ```sh} block of README.md and docs/*.md is run with bash,
 * in order within its file (as a reader would type them into one terminal), against a fresh node of the
 * file's own: started in this JVM the way {@code make run} starts one (conf/routes.yaml seeding an empty
 * database, the demo echo upstream, the access stream on), but on free ports, with a database (the schema
 * migrated in already: a copy of the test template, as Flyway would leave it), Kafka topic
 * and Redis of its own, and an admin token, so that every block proves it passes one. The blocks find the
 * node through the variables they document ({@code ADMIN}, {@code PROXY}, {@code STREAM}, {@code ECHO},
 * {@code ADMIN_TOKEN}, {@code PG_URL}; the cluster walkthrough's {@code N1..N3} all name this one node).
 * {@code java -jar target/sluice.jar ...} runs the same main class from the test classpath (the fat jar is
 * built after the tests). A block must exit 0 under {@code set -eo pipefail}; a failure names the file and
 * line of the block with its output. Blocks that cannot run here are fenced {@code ```sh no-test}, and
 * {@link #NO_TEST} lists how many each file has, so that none is skipped silently.
 */
class DocsRunTest {

  /** Blocks fenced {@code sh no-test}, per file: starting make run, make cluster, make bench, kubectl, jib. */
  private static final Map<String, Integer> NO_TEST = Map.of(
      "README.md", 1, // make run
      "docs/cluster.md", 2, // make cluster; three nodes started by hand
      "docs/kubernetes.md", 2, // kubectl apply; mvn jib:build
      "docs/benchmarks.md", 1); // make bench (never in a test: it loads the machine for minutes)

  /** Languages that are shell but would escape the run: the docs say {@code sh}. */
  private static final Set<String> OTHER_SHELLS = Set.of("bash", "shell", "console", "zsh", "shell-session");

  /** Tools the blocks call, beyond bash's builtins and coreutils. */
  private static final List<String> TOOLS = List.of("bash", "curl", "jq", "psql", "openssl", "python3", "sed");

  /** A block runs a few HTTP calls and at most a few short JVMs: seconds. A hung one fails instead. */
  private static final Duration BLOCK_TIMEOUT = Duration.ofSeconds(120);

  /** -Ddocs.verbose=true prints what every block printed (to compare with what the docs say it shows). */
  private static final boolean VERBOSE = Boolean.getBoolean("docs.verbose");

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Vertx vertx;
  private static int echoPort;
  private static RedisServer redis;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    echoPort = EchoServer.start(vertx, "127.0.0.1", 0).await().actualPort();
    redis = RedisServer.start();
  }

  @AfterAll
  static void stop() {
    if (redis != null) {
      redis.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  /** -Ddocs.only=declarative-config.md runs the blocks of the files whose path ends so (one topic's docs). */
  private static final String ONLY = System.getProperty("docs.only", "");

  @TestFactory
  Stream<DynamicTest> every_sh_block_of_the_docs_runs_as_written() {
    List<String> missing = TOOLS.stream().filter(t -> !onPath(t)).toList();
    assertTrue(missing.isEmpty(), "the docs' blocks need " + missing + " on PATH (install them: apt-get install "
        + String.join(" ", missing) + ")");
    return docs().stream().filter(f -> f.toString().endsWith(ONLY))
        .filter(f -> MarkdownBlocks.of(f).stream().anyMatch(DocsRunTest::runs))
        .map(f -> DynamicTest.dynamicTest(ROOT.relativize(f).toString(), () -> runAll(f)));
  }

  @Test
  void shell_blocks_are_fenced_sh_and_only_the_listed_ones_skip_the_run() {
    Map<String, Integer> noTest = new TreeMap<>();
    List<String> listed = new ArrayList<>();
    List<String> misfenced = new ArrayList<>();
    for (Path f : docs()) {
      for (Block b : MarkdownBlocks.of(f)) {
        if (OTHER_SHELLS.contains(b.language())) {
          misfenced.add(b.where(ROOT) + " is fenced '" + b.language() + "': use sh (run) or sh no-test");
        }
        if (b.language().equals("sh") && b.has("no-test")) {
          noTest.merge(ROOT.relativize(f).toString(), 1, Integer::sum);
          listed.add(b.where(ROOT) + ": " + b.text().lines().filter(l -> !l.startsWith("#")).findFirst().orElse(""));
        }
      }
    }
    assertTrue(misfenced.isEmpty(), String.join("\n", misfenced));
    assertEquals(new TreeMap<>(NO_TEST), noTest, "blocks fenced 'sh no-test' (update NO_TEST only for a block that"
        + " truly cannot run against a node in a test):\n" + String.join("\n", listed));
  }

  /** docs/settings.md's table has one row per key of the settings schema, with the schema's default. */
  @Test
  void settings_reference_has_every_key_of_the_schema_with_its_default() throws IOException {
    Map<String, JsonNode> schema = new TreeMap<>();
    flatten(JSON.readTree(ROOT.resolve("src/main/resources/schema/sluice-settings.json").toFile()), "", schema);
    Map<String, String> documented = new TreeMap<>();
    Matcher row = Pattern.compile("(?m)^\\| `([a-z0-9_.]+)` \\| ([^|]*) \\|").matcher(read("docs/settings.md"));
    while (row.find()) {
      documented.put(row.group(1), row.group(2).trim());
    }
    List<String> wrong = new ArrayList<>();
    schema.keySet().stream().filter(k -> !documented.containsKey(k))
        .forEach(k -> wrong.add(k + ": in the schema, not in docs/settings.md's table"));
    documented.keySet().stream().filter(k -> !schema.containsKey(k))
        .forEach(k -> wrong.add(k + ": in docs/settings.md's table, not a setting of the schema"));
    schema.forEach((key, property) -> {
      String cell = documented.getOrDefault(key, "");
      JsonNode def = property.get("default");
      String expected = def == null ? null : def.isTextual() ? def.asText() : def.toString();
      boolean ok = expected == null || !documented.containsKey(key) || (expected.isEmpty() ? cell.startsWith("empty")
          : cell.startsWith("`" + expected + "`"));
      if (!ok) {
        wrong.add(key + ": the schema's default is '" + expected + "', docs/settings.md says " + cell);
      }
    });
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  /** Every policy has its section in docs/policies.md, and every field of its schema is named there. */
  @Test
  void policies_reference_names_every_field_of_every_policy_schema() throws IOException {
    String doc = read("docs/policies.md");
    List<String> missing = new ArrayList<>();
    try (Stream<Path> schemas = Files.list(ROOT.resolve("src/main/resources/schema/policy"))) {
      for (Path s : schemas.sorted().toList()) {
        String policy = s.getFileName().toString().replace(".json", "");
        if (!Pattern.compile("(?m)^#+ .*\\b" + Pattern.quote(policy) + "\\b").matcher(doc).find()) {
          missing.add(policy + ": no heading");
        }
        for (Iterator<String> it = JSON.readTree(s.toFile()).path("properties").fieldNames(); it.hasNext(); ) {
          String field = it.next();
          if (!doc.contains("`" + field + "`")) {
            missing.add(policy + "." + field);
          }
        }
      }
    }
    assertTrue(missing.isEmpty(), "not in docs/policies.md: " + missing);
  }

  /** Relative links of the docs name files of the repository (never ../shared/...) and headings that exist. */
  @Test
  void links_of_the_docs_point_inside_the_repository_at_headings_that_exist() {
    Pattern link = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    List<String> broken = new ArrayList<>();
    for (Path f : docs()) {
      String text = read(ROOT.relativize(f).toString());
      Matcher m = link.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*")) {
          continue; // https:, mailto:
        }
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? f : f.getParent().resolve(file).normalize();
        String from = ROOT.relativize(f) + ": (" + target + ")";
        if (!resolved.startsWith(ROOT) || !Files.exists(resolved)) {
          broken.add(from + " is not a file of the repository");
        } else if (anchor != null && resolved.toString().endsWith(".md")
            && !anchors(read(ROOT.relativize(resolved).toString())).contains(anchor)) {
          broken.add(from + ": no heading #" + anchor + " in " + ROOT.relativize(resolved));
        }
      }
    }
    assertTrue(broken.isEmpty(), String.join("\n", broken));
  }

  // --- running one file ---

  private static boolean runs(Block b) {
    return b.language().equals("sh") && !b.has("no-test");
  }

  private static void runAll(Path file) throws IOException {
    String adminToken = "docs-admin-" + random();
    String routes = Files.readString(ROOT.resolve("conf/routes.yaml")).replace("127.0.0.1:8070", "127.0.0.1:" + echoPort);
    Path work = workDir();
    Path spool = Files.createTempDirectory("sluice-docs-spool");
    Map<String, String> settings = new HashMap<>();
    settings.put("SLUICE_NODE_NAME", "docs");
    settings.put("SLUICE_ADMIN_TOKEN", adminToken);
    settings.put("SLUICE_KEYS_HMAC_SECRET", "docs-hmac-" + random());
    settings.put("SLUICE_STREAM_CURSOR_SECRET", "docs-cursor-" + random());
    settings.put("SLUICE_STREAM_ENABLED", "true");
    settings.put("SLUICE_STREAM_HOST", "127.0.0.1");
    settings.put("SLUICE_KAFKA_BOOTSTRAP", SharedKafka.bootstrap());
    settings.put("SLUICE_KAFKA_TOPIC", "docs-" + random());
    settings.put("SLUICE_KAFKA_PARTITIONS", "2");
    settings.put("SLUICE_SPOOL_DIR", spool.toString());
    settings.put("SLUICE_REDIS_URL", redis.url());
    try (TestDatabase db = TestDatabase.migrated()) {
      settings.put("SLUICE_PG_URL", db.url());
      try (TestNode node = TestNode.start(routes, settings);
           ShellSession shell = new ShellSession(work, blockEnv(node, db, adminToken), JAVA_SHIM)) {
        for (Block b : MarkdownBlocks.of(file)) {
          if (!runs(b)) {
            continue;
          }
          long started = System.nanoTime();
          ShellSession.Result r = shell.run(b.text(), BLOCK_TIMEOUT);
          String took = String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - started) / 1e9);
          if (!r.ok()) {
            fail(b.where(ROOT) + ": the sh block " + (r.timedOut() ? "did not finish within " + BLOCK_TIMEOUT.toSeconds()
                + " s" : "exited " + r.exitCode()) + " (" + took + ")\n--- block ---\n" + b.text()
                + "--- output (last 60 lines) ---\n" + r.tail(60));
          }
          System.out.println("docs: " + b.where(ROOT) + " ran (" + took + ")" + (b.flags().isEmpty() ? ""
              : " " + b.flags()) + (VERBOSE ? "\n" + r.output() : ""));
        }
      }
    } finally {
      deleteWorkDir(work);
      TempDirs.delete(spool);
    }
  }

  /**
   * {@code java -jar target/sluice.jar ARGS} as the docs write it runs Sluice's main class from this test's
   * classpath, with this JVM's java; any other {@code java} command runs as typed. In a subshell (a block's
   * {@code java ... &}, a pipeline) the JVM replaces it, so that {@code $!} is the JVM's pid, as it is for a
   * reader's real java, and {@code kill $!} stops it. The docs start 24 such JVMs, each mostly startup:
   * the C1 compiler alone and the serial collector start one sooner on this 2-core CI (JIT and GC only: the
   * same code runs the same way).
   */
  private static final String JAVA_SHIM = """
      java() {
        if [ "${1-}" = -jar ] && [ "${2-}" = target/sluice.jar ]; then
          shift 2
          if [ "$BASHPID" != "$$" ]; then
            exec "$SLUICE_DOCS_JAVA" $SLUICE_DOCS_JVM_FLAGS -cp "$SLUICE_DOCS_CLASSPATH" io.sluice.Sluice "$@"
          fi
          "$SLUICE_DOCS_JAVA" $SLUICE_DOCS_JVM_FLAGS -cp "$SLUICE_DOCS_CLASSPATH" io.sluice.Sluice "$@"
        else
          command java "$@"
        fi
      }
      """;

  private static Map<String, String> blockEnv(TestNode node, TestDatabase db, String adminToken) {
    Map<String, String> env = new LinkedHashMap<>();
    System.getenv().forEach((k, v) -> {
      if (!k.startsWith("SLUICE_") && !k.startsWith("BASH_FUNC_")) {
        env.put(k, v); // PATH, HOME, LANG...; no SLUICE_* of the machine may change what a block does
      }
    });
    String admin = "127.0.0.1:" + node.adminPort();
    env.put("ADMIN", admin);
    env.put("PROXY", "127.0.0.1:" + node.proxyPort());
    env.put("PROXY_TLS_PORT", String.valueOf(node.proxyTlsPort()));
    env.put("STREAM", "127.0.0.1:" + node.streamPort());
    env.put("ECHO", "127.0.0.1:" + echoPort);
    env.put("ADMIN_TOKEN", adminToken);
    env.put("PG_URL", db.url());
    env.put("N1", admin);
    env.put("N2", admin);
    env.put("N3", admin);
    env.put("SLUICE_DOCS_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    env.put("SLUICE_DOCS_CLASSPATH", System.getProperty("java.class.path"));
    env.put("SLUICE_DOCS_JVM_FLAGS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
    return env;
  }

  /** Where the blocks run: a directory of their own that shows the repository's files (links), so that what a
   * block writes (gateway.yaml, ...) lands outside the repository. */
  private static Path workDir() throws IOException {
    Path work = Files.createTempDirectory("sluice-docs-work");
    try (Stream<Path> top = Files.list(ROOT)) {
      for (Path p : top.toList()) {
        if (!p.getFileName().toString().equals(".git")) {
          Files.createSymbolicLink(work.resolve(p.getFileName()), p);
        }
      }
    }
    return work;
  }

  // --- helpers ---

  private static List<Path> docs() {
    List<Path> files = new ArrayList<>();
    files.add(ROOT.resolve("README.md"));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return files;
  }

  private static String read(String relative) {
    try {
      return Files.readString(ROOT.resolve(relative));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces to dashes. */
  private static Set<String> anchors(String markdown) {
    Set<String> anchors = new TreeSet<>();
    boolean inFence = false;
    for (String line : markdown.split("\n")) {
      if (line.trim().startsWith("```")) {
        inFence = !inFence;
      }
      if (!inFence && line.startsWith("#")) {
        String title = line.replaceFirst("^#+\\s*", "").trim().toLowerCase(Locale.ROOT);
        anchors.add(title.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
      }
    }
    return anchors;
  }

  private static void flatten(JsonNode schema, String prefix, Map<String, JsonNode> out) {
    schema.path("properties").fields().forEachRemaining(e -> {
      JsonNode p = e.getValue();
      if ("object".equals(p.path("type").asText()) && p.has("properties")) {
        flatten(p, prefix + e.getKey() + ".", out);
      } else {
        out.put(prefix + e.getKey(), p);
      }
    });
  }

  private static boolean onPath(String tool) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
  }

  private static String random() {
    byte[] b = new byte[6];
    ThreadLocalRandom.current().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** The links into the repository are removed as links; only what the blocks wrote is deleted. */
  private static void deleteWorkDir(Path work) throws IOException {
    try (Stream<Path> entries = Files.list(work)) {
      for (Path p : entries.toList()) {
        if (Files.isSymbolicLink(p)) {
          Files.delete(p);
        } else {
          TempDirs.delete(p);
        }
      }
    }
    Files.deleteIfExists(work);
  }
}
