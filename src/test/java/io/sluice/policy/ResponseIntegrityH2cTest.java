package io.sluice.policy;

/**
 * Every {@link ResponseIntegrityTest} case again with the client speaking HTTP/2 with prior knowledge to the
 * plain port (the upstream stays HTTP/1.1): bodies of every shape and 64 MiB both ways come through every policy
 * unchanged, framed for HTTP/2.
 */
class ResponseIntegrityH2cTest extends ResponseIntegrityTest {
}
