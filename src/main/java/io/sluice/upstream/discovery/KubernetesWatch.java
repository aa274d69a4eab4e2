package io.sluice.upstream.discovery;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sluice.upstream.Target;
import io.sluice.upstream.Upstream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the targets of one declared {@code k8s://service.namespace:port} target current: the ready endpoints of
 * the Service's EndpointSlices (label kubernetes.io/service-name), listed then watched from the list's
 * resourceVersion by fabric8's informer, which lists again when the watch answers 410 Gone and reopens a failed
 * watch with backoff. The informer's events come on the client's threads; the endpoints are computed there
 * and handed to the discovery verticle's context. A failure keeps the targets found before.
 */
final class KubernetesWatch implements Watch {

  static final String SERVICE_LABEL = "kubernetes.io/service-name";

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesWatch.class);

  private final Context context;
  private final Future<KubernetesClient> client;
  private final Upstream upstream;
  private final int index;
  private final String service;
  private final String namespace;
  private final String port;
  private final int weight;
  private final DiscoveryMeters meters;
  private volatile boolean stopped;
  /** Set by the start task, read by the stop task (both ordered on the verticle's context's worker queue). */
  private volatile SharedIndexInformer<EndpointSlice> informer;
  /** What the last event gave, for the log line of a change (on the context). */
  private List<io.sluice.upstream.Endpoint> last = List.of();

  KubernetesWatch(Context context, Future<KubernetesClient> client, Upstream upstream, int index,
                  DiscoveryMeters meters) {
    this.context = context;
    this.client = client;
    this.upstream = upstream;
    this.index = index;
    String address = upstream.declared().get(index).address().substring(Upstream.K8S.length());
    int dot = address.indexOf('.');
    int colon = address.lastIndexOf(':');
    this.service = address.substring(0, dot);
    this.namespace = address.substring(dot + 1, colon);
    this.port = address.substring(colon + 1);
    this.weight = upstream.declared().get(index).weight();
    this.meters = meters;
  }

  @Override
  public void start() {
    client.onFailure(this::failed).onSuccess(c -> context.executeBlocking(() -> {
      if (stopped) {
        return null;
      }
      informer = c.discovery().v1().endpointSlices().inNamespace(namespace).withLabel(SERVICE_LABEL, service)
          .runnableInformer(0);
      informer.addEventHandler(new Handler());
      informer.exceptionHandler((started, error) -> {
        context.runOnContext(v -> failed(error));
        return true; // always try again (with the client's backoff): a later answer replaces these targets
      });
      informer.start();
      return null;
    }));
  }

  @Override
  public void stop() {
    stopped = true;
    context.executeBlocking(() -> {
      if (informer != null) {
        informer.stop();
      }
      return null;
    });
  }

  /** Any change: the ready endpoints of every slice in the informer's store now. */
  private final class Handler implements ResourceEventHandler<EndpointSlice> {
    @Override
    public void onNothing() {
      publish();
    }

    @Override
    public void onAdd(EndpointSlice slice) {
      publish();
    }

    @Override
    public void onUpdate(EndpointSlice before, EndpointSlice after) {
      publish();
    }

    @Override
    public void onDelete(EndpointSlice slice, boolean unknownFinalState) {
      publish();
    }
  }

  private void publish() {
    SharedIndexInformer<EndpointSlice> i = informer;
    if (i == null || stopped) {
      return;
    }
    List<io.sluice.upstream.Endpoint> found = endpoints(i.getStore().list(), host(), port, weight);
    context.runOnContext(v -> apply(found));
  }

  private void apply(List<io.sluice.upstream.Endpoint> found) {
    if (stopped) {
      return;
    }
    if (upstream.discovered(index, found)) {
      meters.changed(upstream.name());
      LOG.info("service {}: {} now has {} ready endpoints {} (was {})", upstream.name(), label(), found.size(),
          show(found), show(last));
    }
    last = found;
  }

  private void failed(Throwable error) {
    if (stopped) {
      return;
    }
    meters.failed(upstream.name());
    LOG.warn("service {}: cannot watch the EndpointSlices of {} ({}); keeping its targets {}, trying again",
        upstream.name(), label(), error.getMessage(), show(last));
  }

  /** The Host header of the Service's endpoints: its cluster DNS name. */
  private String host() {
    return service + "." + namespace + ".svc";
  }

  /**
   * The endpoints of {@code slices} that are ready (a condition not given counts as ready, as Kubernetes says)
   * on {@code port} (a number: the endpoints' port number; otherwise the name of the Service's port), the
   * first address of each, the declared weight split equally between them.
   */
  static List<io.sluice.upstream.Endpoint> endpoints(Collection<EndpointSlice> slices, String host, String port,
                                                     int weight) {
    boolean numeric = port.chars().allMatch(Character::isDigit);
    TreeSet<String> found = new TreeSet<>();
    List<String[]> pairs = new ArrayList<>();
    for (EndpointSlice s : slices) {
      Integer p = null;
      for (EndpointPort ep : s.getPorts() == null ? List.<EndpointPort>of() : s.getPorts()) {
        if (numeric ? ep.getPort() != null && ep.getPort() == Integer.parseInt(port) : port.equals(ep.getName())) {
          p = ep.getPort();
          break;
        }
      }
      if (p == null || s.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : s.getEndpoints()) {
        boolean ready = e.getConditions() == null || e.getConditions().getReady() == null
            || e.getConditions().getReady();
        if (ready && e.getAddresses() != null && !e.getAddresses().isEmpty()
            && found.add(Target.addressOf(e.getAddresses().get(0), p))) {
          pairs.add(new String[] {e.getAddresses().get(0), Integer.toString(p)});
        }
      }
    }
    int each = weight == 0 ? 0 : Math.max(1, DnsWatch.share(weight, pairs.size()));
    return pairs.stream()
        .sorted(java.util.Comparator.comparing((String[] a) -> a[0]).thenComparing(a -> a[1]))
        .map(a -> new io.sluice.upstream.Endpoint(host, a[0], Integer.parseInt(a[1]), each)).toList();
  }

  private String label() {
    return Upstream.K8S + service + "." + namespace + ":" + port;
  }

  private static String show(List<io.sluice.upstream.Endpoint> endpoints) {
    return endpoints.stream().map(e -> Target.addressOf(e.ip(), e.port()) + "*" + e.weight())
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
