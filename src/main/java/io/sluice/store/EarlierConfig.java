package io.sluice.store;

import io.sluice.config.GatewayConfig;

/**
 * The declarative file as it was at {@code version}, rebuilt from the configuration history for a rollback, with
 * the consumers of that version it carries as they were although a file refuses them ({@link HeldConsumers}).
 */
public record EarlierConfig(long version, GatewayConfig config, HeldConsumers held) {}
