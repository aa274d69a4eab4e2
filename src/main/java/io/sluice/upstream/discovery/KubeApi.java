package io.sluice.upstream.discovery;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.sluice.settings.NodeSettings;
import java.io.File;

/**
 * The node's client of the Kubernetes API for k8s:// targets (fabric8 over the JDK's HTTP client, on threads of
 * its own: nothing of it runs on an event loop). Where the API is: discovery.kubernetes_api (a URL without
 * credentials, such as kubectl proxy), else discovery.kubeconfig, else in a pod its service account (token and
 * CA under /var/run/secrets/kubernetes.io/serviceaccount), else $KUBECONFIG or ~/.kube/config. A watch that
 * or list that fails is tried again after 1 s, doubling up to 32 s, for ever.
 */
final class KubeApi {

  static final int RECONNECT_MS = 1000;

  private KubeApi() {}

  /** The configuration the settings name (reads files: call it off the event loop). */
  static Config config(NodeSettings.Discovery settings) {
    Config base;
    if (!settings.kubernetesApi().isEmpty()) {
      base = new ConfigBuilder(Config.empty()).withMasterUrl(settings.kubernetesApi()).build();
    } else if (!settings.kubeconfig().isEmpty()) {
      File file = new File(settings.kubeconfig());
      if (!file.canRead()) {
        throw new IllegalArgumentException("discovery.kubeconfig: cannot read " + file);
      }
      base = Config.fromKubeconfig(file);
    } else {
      base = Config.autoConfigure(null);
    }
    return new ConfigBuilder(base)
        .withWatchReconnectInterval(RECONNECT_MS)
        .withWatchReconnectLimit(-1)
        .withRequestRetryBackoffLimit(0) // a failed list surfaces (counted, logged); the informer retries it
        .withConnectionTimeout(5000)
        .withRequestTimeout(10000)
        .build();
  }

  /** A client of that API (blocking: reads files; call it off the event loop). */
  static KubernetesClient client(NodeSettings.Discovery settings) {
    return new KubernetesClientBuilder().withConfig(config(settings))
        .withHttpClientFactory(new JdkHttpClientFactory()).build();
  }
}
