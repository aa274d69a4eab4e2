package io.sluice.upstream;

/**
 * One address discovery found for a declared target: {@code host} is the name it was found under (the Host
 * header), {@code ip} the address connected to, with the port and the share of the declared weight.
 */
public record Endpoint(String host, String ip, int port, int weight) {}
