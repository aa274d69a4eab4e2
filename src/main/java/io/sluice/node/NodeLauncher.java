package io.sluice.node;

import io.sluice.config.ConfigException;
import io.sluice.settings.BuildInfo;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsException;
import io.sluice.settings.SettingsLoader;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** Starts a node from the command line and drains it on SIGTERM or SIGINT, exiting 0. */
public final class NodeLauncher {

  private NodeLauncher() {}

  public static void run(String configArg) {
    String configFile = configArg != null ? configArg : System.getenv("SLUICE_CONFIG");
    boolean required = configFile != null;
    Path path = Path.of(configFile != null ? configFile : "conf/sluice.yaml");
    SettingsLoader loader = new SettingsLoader();
    NodeSettings settings;
    try {
      settings = loader.load(path, required, System.getenv());
    } catch (SettingsException e) {
      System.err.println("sluice: settings refused:");
      e.problems().forEach(p -> System.err.println("  " + p));
      System.exit(2);
      return;
    }
    Logging.configure(settings.log());
    Logger log = LoggerFactory.getLogger(NodeLauncher.class);
    BuildInfo build = BuildInfo.current();
    log.info("sluice {} starting (commit {}, built {}), node {}", build.version(), build.commit(), build.built(),
        settings.nodeName());
    loader.warnings().forEach(log::warn);
    SluiceNode node;
    try {
      node = SluiceNode.start(settings).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      System.err.println("sluice: routes file " + settings.routesFile() + " refused:");
      e.errors().forEach(err -> System.err.println("  " + err));
      System.exit(2);
      return;
    } catch (Exception e) {
      log.error("start failed: {}", e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
      System.exit(1);
      return;
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
    System.exit(0);
  }
}
