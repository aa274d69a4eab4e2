package io.sluice.node;

import io.sluice.config.ConfigException;
import io.sluice.settings.BuildInfo;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsException;
import io.sluice.settings.SettingsLoader;
import io.sluice.tls.CipherSuites;
import io.sluice.tls.TlsOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Starts a node from the command line and drains it on SIGTERM or SIGINT. Answers the exit code: 0 after the
 * drain, 2 settings or routes file refused, 1 the node could not start (a listener, the database).
 */
public final class NodeLauncher {

  private static final int REFUSED = 2;
  private static final int START_FAILED = 1;
  /** Joining a cluster, migrating the schema and (first time) initdb of an embedded PostgreSQL fit in this. */
  private static final long START_TIMEOUT_S = 120;

  private NodeLauncher() {}

  /** Settings from {@code configFile}, else $SLUICE_CONFIG (either must exist), else conf/sluice.yaml if present. */
  public static int run(Path configFile) {
    String fromEnv = System.getenv("SLUICE_CONFIG");
    Path file = configFile != null ? configFile : fromEnv != null ? Path.of(fromEnv) : null;
    boolean required = file != null;
    Path path = file != null ? file : Path.of("conf/sluice.yaml");
    SettingsLoader loader = new SettingsLoader();
    NodeSettings settings;
    try {
      settings = loader.load(path, required, System.getenv());
      VertxSetup.transport(settings.node().transport()); // a transport named explicitly must be able to run here
      CipherSuites.check(settings.tls()); // the engine would take an unknown suite, then reset every handshake
      List<String> tlsFiles = new java.util.ArrayList<>(TlsOptions.fileProblems("admin", settings.admin().tlsCertFile(),
          settings.admin().tlsKeyFile()));
      if (settings.stream().enabled()) {
        tlsFiles.addAll(TlsOptions.fileProblems("stream", settings.stream().tlsCertFile(), settings.stream().tlsKeyFile()));
      }
      if (!tlsFiles.isEmpty()) {
        throw new SettingsException(tlsFiles);
      }
      Database.checkUrl(settings.pg().url());
    } catch (SettingsException e) {
      System.err.println("sluice: settings refused:");
      e.problems().forEach(p -> System.err.println("  " + p));
      return REFUSED;
    }
    Logging.configure(settings.log());
    Logger log = LoggerFactory.getLogger(NodeLauncher.class);
    BuildInfo build = BuildInfo.current();
    log.info("sluice {} starting (commit {}, built {}), node {}", build.version(), build.commit(), build.built(),
        settings.nodeName());
    loader.warnings().forEach(log::warn);
    SluiceNode node;
    try {
      node = SluiceNode.start(settings).toCompletionStage().toCompletableFuture()
          .get(START_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      System.err.println("sluice: routes file " + settings.routesFile() + " refused:");
      e.errors().forEach(err -> System.err.println("  " + err));
      return REFUSED;
    } catch (Exception e) {
      Throwable why = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      log.error("start failed: {}", why.getMessage() != null ? why.getMessage() : why.toString());
      return START_FAILED;
    }
    CountDownLatch stopping = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), s -> stopping.countDown());
    Signal.handle(new Signal("INT"), s -> stopping.countDown());
    try {
      stopping.await();
      log.info("signal received, draining");
      node.stop();
      log.info("stopped");
    } catch (Exception e) {
      log.warn("drain did not complete cleanly: {}", e.toString());
    }
    return 0;
  }
}
