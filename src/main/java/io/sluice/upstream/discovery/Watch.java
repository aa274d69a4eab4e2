package io.sluice.upstream.discovery;

/**
 * What keeps one declared target's addresses current (by DNS, by the Kubernetes API): started once, stopped
 * when its service is reconfigured or gone. Both run on the discovery verticle's context.
 */
interface Watch {

  void start();

  void stop();
}
