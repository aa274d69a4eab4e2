package io.sluice.cluster;

import com.hazelcast.internal.util.ConcurrencyUtil;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where Hazelcast completes the futures that Vert.x's cluster maps wait on. Hazelcast runs those callbacks
 * on the common fork-join pool, but where that pool has fewer than two threads (a machine with one or two
 * cores) it starts a new thread for every callback: every cluster-map read or write then paid a thread start
 * (profiled: 150 threads a second on the hitless benchmark's three nodes, on the path from commit to
 * publish). There, the callbacks run on a pool of reused daemon threads instead: unbounded like Hazelcast's
 * default, so a callback that waits cannot starve another, but idle threads are kept for a minute.
 */
final class AsyncCallbacks {

  /** How long an idle callback thread is kept for the next callback. */
  private static final long KEEP_ALIVE_S = 60;
  private static volatile ExecutorService installed;

  private AsyncCallbacks() {}

  /** Installs the reused pool once per JVM, where Hazelcast would start a thread per callback. */
  static synchronized void install() {
    if (installed != null || ForkJoinPool.getCommonPoolParallelism() > 1) {
      return;
    }
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, KEEP_ALIVE_S, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "sluice-hz-callback-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    ConcurrencyUtil.setDefaultAsyncExecutor(pool);
    installed = pool;
  }
}
