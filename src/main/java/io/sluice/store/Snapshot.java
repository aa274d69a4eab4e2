package io.sluice.store;

import io.sluice.config.GatewayConfig;

/**
 * The whole routing configuration (services and routes) as of one global version, read in one
 * transaction so that the two agree: applying it and then the change log after {@code version} misses
 * nothing and applies nothing twice.
 */
public record Snapshot(long version, GatewayConfig config) {}
