package io.sluice.store;

/**
 * An apply of a file with consumers, or a rollback, that would hold more consumers in memory at once than this
 * node's heap allows for ({@link ConfigStore#consumerBudget}): the diff of consumers is computed in memory, and
 * a million of them would run the node out of memory and take its traffic down with it. Refused before anything
 * is read or written.
 */
public final class TooManyConsumersException extends RuntimeException {

  public TooManyConsumersException(String what, long consumers, long budget) {
    super("nothing applied: " + what + " holds " + consumers + " consumers, more than this node diffs in memory ("
        + budget + ", one per 8 KiB of its " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB heap): leave"
        + " consumers out of the file (a file without a consumers key leaves them as they are) and manage them"
        + " through the admin API or SQL, or give the node a larger heap", null, false, false);
  }
}
