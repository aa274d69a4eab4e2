package io.sluice.node;

import io.sluice.settings.SettingsException;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.List;

/** How a node's Vert.x is set up: its transport and which of Vert.x's own meters it keeps. */
public final class VertxSetup {

  private VertxSetup() {}

  /** The transport a node runs on, and why when {@code auto} could not take the first choice. */
  public record Choice(Transport transport, String fallbackReason) {}

  /**
   * The transport {@code setting} (node.transport) names. {@code auto}: io_uring where it loads (it takes about a
   * fifth less system time per proxied request than epoll, see docs/benchmarks.md), else epoll, else NIO. A
   * transport named explicitly that cannot load stops the start, with the reason.
   */
  public static Choice transport(String setting) {
    return switch (setting) {
      case "auto" -> {
        if (Transport.IO_URING.available()) {
          yield new Choice(Transport.IO_URING, null);
        }
        String why = "io_uring unavailable (" + cause(Transport.IO_URING) + ")";
        if (Transport.EPOLL.available()) {
          yield new Choice(Transport.EPOLL, why);
        }
        yield new Choice(Transport.NIO, why + ", epoll unavailable (" + cause(Transport.EPOLL) + ")");
      }
      case "io_uring" -> required(Transport.IO_URING, setting);
      case "epoll" -> required(Transport.EPOLL, setting);
      case "nio" -> new Choice(Transport.NIO, null);
      default -> throw new SettingsException(List.of("node.transport: must be one of auto, io_uring, epoll, nio"));
    };
  }

  private static Choice required(Transport t, String setting) {
    if (!t.available()) {
      throw new SettingsException(List.of("node.transport: " + setting + " cannot run on this machine ("
          + cause(t) + "); choose auto, or another transport"));
    }
    return new Choice(t, null);
  }

  private static String cause(Transport t) {
    Throwable c = t.unavailabilityCause();
    if (c == null) {
      return "no reason given";
    }
    while (c.getCause() != null && c.getMessage() == null) {
      c = c.getCause();
    }
    return c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
  }

  /** The options of a node whose meters go to the registry named {@code registryName}. */
  static VertxOptions options(String registryName) {
    return new VertxOptions()
        // The native transport where one loads (see transport(): the builder is given the choice), else NIO.
        .setPreferNativeTransport(true)
        // No context class loader swap around every callback: one fat jar, one class loader.
        .setDisableTCCL(true)
        .setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)
            // Vert.x's own HTTP and TCP meters are looked up with tags on every request; Sluice binds its
            // request and upstream meters once per route and target instead (see Meters).
            .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
            .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
            .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
            .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
            // Unused by the dashboards, and its handler gauge is registered twice (a warning at every start).
            .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
            // SQL client meters carry their client's metrics name (else the pool's and the sync session's
            // gauges collide: a warning at every start and one of them unseen).
            .addLabels(Label.NAMESPACE)
            .setRegistryName(registryName)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
  }
}
