package io.sluice.node;

import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

/** How a node's Vert.x is set up: its transport and which of Vert.x's own meters it keeps. */
final class VertxSetup {

  private VertxSetup() {}

  /** The options of a node whose meters go to the registry named {@code registryName}. */
  static VertxOptions options(String registryName) {
    return new VertxOptions()
        // Native epoll where the library loads (Linux x86_64/aarch64): fewer copies and syscalls per request
        // than NIO's selector. Elsewhere Vert.x falls back to NIO (the transport is logged below).
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
