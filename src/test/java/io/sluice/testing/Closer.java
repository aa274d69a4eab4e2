package io.sluice.testing;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a test started, closed in the reverse order (nodes before the backend and the database they use) by one call
 * from its {@code @AfterEach}: the set-up blocks of tests that start JVMs, databases and backends were the same
 * dozen lines each.
 */
public final class Closer implements AutoCloseable {

  private final Deque<AutoCloseable> opened = new ArrayDeque<>();

  /** Keeps {@code resource} to be closed with the rest; answers it. */
  public <T extends AutoCloseable> T add(T resource) {
    opened.push(resource);
    return resource;
  }

  /** Closes everything added, last first; a failure to close one does not keep the others open. */
  @Override
  public void close() {
    RuntimeException first = null;
    while (!opened.isEmpty()) {
      try {
        opened.pop().close();
      } catch (Exception e) {
        if (first == null) {
          first = new IllegalStateException("closing a test resource failed", e);
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
