package io.sluice.tracing;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.settings.NodeSettings;
import io.vertx.core.json.JsonObject;

/**
 * Tracing on this node at runtime ({@code GET} and {@code PUT /tracing}): turned on or off and its sampling changed
 * without a restart, on the node that answers and not persisted (a restart goes back to the {@code tracing.*}
 * settings), as log levels are. The exporter (OTLP/HTTP to {@code tracing.otlp_endpoint}) is made the first time
 * tracing is on and kept while it is off, so that turning it on again costs nothing and the spans of requests that
 * began traced are still exported; it is shut down with the node.
 */
public final class TracingControl {

  private final NodeSettings.Tracing settings;
  private final MeterRegistry registry;
  /** Made the first time tracing is on; null before. */
  private Tracing tracing;
  private boolean enabled;
  private long samplePerMillion;

  /** Tracing as the settings say (on when {@code tracing.enabled}); its meters go to {@code registry}. */
  public TracingControl(NodeSettings.Tracing settings, MeterRegistry registry) {
    this.settings = settings;
    this.registry = registry;
    this.samplePerMillion = settings.samplePerMillion();
    if (settings.enabled()) {
      set(true, null);
    }
  }

  /** Whether requests are traced now, the sampling, the endpoint, and what the settings say. */
  public synchronized JsonObject state() {
    return new JsonObject().put("enabled", enabled).put("sample_per_million", samplePerMillion)
        .put("otlp_endpoint", settings.otlpEndpoint())
        .put("settings", new JsonObject().put("enabled", settings.enabled())
            .put("sample_per_million", settings.samplePerMillion()));
  }

  /**
   * Turns tracing on or off ({@code enabled}; null: as it is) and samples {@code perMillion} of the requests whose
   * client decided nothing (null: as it is), from the next request on.
   */
  public synchronized void set(Boolean enabled, Long perMillion) {
    if (perMillion != null) {
      samplePerMillion = perMillion;
      if (tracing != null) {
        tracing.samplePerMillion(perMillion);
      }
    }
    if (enabled == null || enabled == this.enabled) {
      return;
    }
    this.enabled = enabled;
    if (enabled && tracing == null) {
      tracing = Tracing.otlp(settings);
      tracing.samplePerMillion(samplePerMillion);
      tracing.bindMeters(registry);
    }
    Tracing.activate(enabled ? tracing : null);
  }

  /** Tracing off and its export flushed and stopped (the node stopping). */
  public synchronized void stop() {
    if (Tracing.isActive(tracing)) {
      Tracing.activate(null);
    }
    enabled = false;
    if (tracing != null) {
      tracing.shutdown();
      tracing = null;
    }
  }
}
