package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.config.Schemas;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsLoader;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every manifest under k8s/ parses with the Kubernetes model in strict mode (a misspelt or misplaced field is
 * an error, not silently dropped), and what the manifests promise matches what a node really serves: its
 * settings load, its ports and probe paths exist, every SLUICE_ variable names a real setting.
 */
@ExtendWith(VertxExtension.class)
class K8sManifestsTest {

  private static final Path DIR = Path.of("k8s");
  private static final KubernetesSerialization K8S = new KubernetesSerialization();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final List<HasMetadata> ALL = new ArrayList<>();

  @BeforeAll
  static void parse() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files = s.filter(p -> p.toString().endsWith(".yaml") && !p.endsWith("kustomization.yaml")).sorted().toList();
    }
    assertFalse(files.isEmpty());
    for (Path f : files) {
      for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
        if (doc.lines().allMatch(l -> l.isBlank() || l.strip().startsWith("#"))) {
          continue;
        }
        HasMetadata resource = K8S.unmarshal(doc);
        assertNotNull(resource, f + ": no resource");
        List<String> unknown = new ArrayList<>();
        strict(resource, resource.getKind(), unknown, new IdentityHashMap<>());
        assertEquals(List.of(), unknown, f + ": fields the Kubernetes model does not know");
        ALL.add(resource);
      }
    }
  }

  /** Walks the model: any property Jackson could not map lands in additionalProperties, which strict refuses. */
  private static void strict(Object o, String path, List<String> unknown, Map<Object, Boolean> seen) throws Exception {
    if (o == null || seen.put(o, true) != null) {
      return;
    }
    if (o instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        strict(list.get(i), path + "[" + i + "]", unknown, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        strict(e.getValue(), path + "." + e.getKey(), unknown, seen);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
          || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object v = m.invoke(o);
      if (m.getName().equals("getAdditionalProperties")) {
        if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
          unknown.add(path + ": " + extra.keySet());
        }
        continue;
      }
      strict(v, path + "." + m.getName().substring(3), unknown, seen);
    }
  }

  private static <T> List<T> all(Class<T> type) {
    return ALL.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T one(Class<T> type) {
    List<T> found = all(type);
    assertEquals(1, found.size(), "one " + type.getSimpleName());
    return found.get(0);
  }

  private static Container container() {
    PodSpec pod = one(Deployment.class).getSpec().getTemplate().getSpec();
    assertEquals(1, pod.getContainers().size());
    return pod.getContainers().get(0);
  }

  private static int port(String name) {
    return container().getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .map(ContainerPort::getContainerPort).orElseThrow(() -> new AssertionError("no container port " + name));
  }

  private static NodeSettings configMapSettings(Map<String, String> env) throws Exception {
    Path file = Files.createTempFile("sluice", ".yaml");
    Files.writeString(file, one(ConfigMap.class).getData().get("sluice.yaml"));
    Map<String, String> all = new HashMap<>(one(Secret.class).getStringData());
    all.putAll(env);
    return new SettingsLoader().load(file, true, all);
  }

  @Test
  void the_deployment_runs_three_hardened_replicas_sized_from_the_container_limit() {
    Deployment d = one(Deployment.class);
    assertEquals(3, d.getSpec().getReplicas());
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertTrue(pod.getSecurityContext().getRunAsNonRoot());
    Container c = container();
    assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
    assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());
    assertNotNull(c.getResources().getLimits().get("memory"), "a memory limit to size the heap from");
    assertNotNull(c.getResources().getRequests().get("cpu"), "a cpu request for the autoscaler");
    String javaOptions = c.getEnv().stream().filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS")).findFirst()
        .map(EnvVar::getValue).orElse("");
    assertTrue(javaOptions.contains("MaxRAMPercentage"), "heap sized from the container limit");
    assertNotNull(c.getLifecycle().getPreStop(), "a preStop hook before the drain");
    assertEquals(pod.getServiceAccountName(), "sluice");
  }

  @Test
  void the_grace_period_covers_the_prestop_wait_and_the_drain() throws Exception {
    NodeSettings s = configMapSettings(Map.of("SLUICE_PG_URL", ""));
    long grace = one(Deployment.class).getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    List<String> preStop = container().getLifecycle().getPreStop().getExec().getCommand();
    long wait = Long.parseLong(preStop.get(preStop.size() - 1));
    assertTrue(grace * 1000 > wait * 1000 + s.proxy().drainTimeoutMs(),
        "grace " + grace + " s must exceed preStop " + wait + " s + drain " + s.proxy().drainTimeoutMs() + " ms");
  }

  @Test
  void every_sluice_variable_and_config_key_is_a_real_setting() throws Exception {
    Set<String> known = SettingsLoader.envNames(Schemas.raw(SettingsLoader.SCHEMA)).keySet();
    List<String> vars = new ArrayList<>(one(Secret.class).getStringData().keySet());
    container().getEnv().stream().map(EnvVar::getName).filter(n -> n.startsWith("SLUICE_")).forEach(vars::add);
    for (String v : vars) {
      assertTrue(known.contains(v), v + " is not a setting (known: " + known + ")");
    }
    // Found from outside: Kubernetes sets docker-link variables for every Service of the namespace (NAME_PORT=
    // tcp://IP:PORT...); sluice-proxy's SLUICE_PROXY_PORT is a setting, and the pods crash-looped with exit 2.
    List<String> links = new ArrayList<>();
    for (Service svc : all(Service.class)) {
      String name = svc.getMetadata().getName().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
      links.addAll(List.of(name + "_SERVICE_HOST", name + "_SERVICE_PORT", name + "_PORT"));
      for (ServicePort p : svc.getSpec().getPorts()) {
        String at = name + "_PORT_" + p.getPort() + "_" + (p.getProtocol() == null ? "TCP" : p.getProtocol());
        links.addAll(List.of(at, at + "_PROTO", at + "_PORT", at + "_ADDR"));
        if (p.getName() != null) {
          links.add(name + "_SERVICE_PORT_" + p.getName().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        }
      }
    }
    List<String> settingsSet = links.stream().filter(known::contains).toList();
    assertFalse(settingsSet.isEmpty(), "the Services' link variables meet settings: what this check is for");
    assertEquals(Boolean.FALSE, one(Deployment.class).getSpec().getTemplate().getSpec().getEnableServiceLinks(),
        "service links off: Kubernetes would set " + settingsSet);
    NodeSettings s = configMapSettings(Map.of());
    assertEquals(s.proxy().port(), port("proxy"));
    assertEquals(s.admin().port(), port("admin"));
    assertEquals(s.stream().port(), port("stream"));
    assertEquals(s.cluster().port(), port("hazelcast"));
    assertEquals("kubernetes", s.cluster().discovery());
    assertTrue(all(Service.class).stream().anyMatch(svc -> svc.getMetadata().getName()
        .equals(s.cluster().kubernetes().serviceName()) && "None".equals(svc.getSpec().getClusterIP())),
        "cluster.kubernetes.service_name is the headless Service");
    assertTrue(s.spool().dir().startsWith("/var/lib/sluice"), "the spool is on the writable data volume");
    assertFalse(s.kafka().embedded(), "a cluster exports to an external Kafka (bootstrap from the Secret)");
    List<String> args = container().getArgs();
    assertEquals("/etc/sluice/" + "sluice.yaml", args.get(args.indexOf("--config") + 1));
    assertTrue(container().getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/etc/sluice")));
    assertTrue(s.routesFile().startsWith("/etc/sluice/"), "the routes file comes from the ConfigMap");
    assertTrue(one(ConfigMap.class).getData().containsKey(Path.of(s.routesFile()).getFileName().toString()));
  }

  @Test
  void services_point_at_named_container_ports_and_the_admin_api_stays_internal() {
    Set<String> portNames = container().getPorts().stream().map(ContainerPort::getName).collect(Collectors.toSet());
    Map<String, String> podLabels = one(Deployment.class).getSpec().getTemplate().getMetadata().getLabels();
    for (Service svc : all(Service.class)) {
      for (ServicePort p : svc.getSpec().getPorts()) {
        assertTrue(portNames.contains(p.getTargetPort().getStrVal()), svc.getMetadata().getName() + " -> " + p);
      }
      svc.getSpec().getSelector().forEach((k, v) -> assertEquals(v, podLabels.get(k), "selector of " + svc));
    }
    Service admin = all(Service.class).stream().filter(s -> s.getMetadata().getName().equals("sluice-admin"))
        .findFirst().orElseThrow();
    assertEquals("ClusterIP", admin.getSpec().getType());
    assertTrue(all(Service.class).stream().anyMatch(s -> "None".equals(s.getSpec().getClusterIP())),
        "a headless Service for Hazelcast discovery");
    Role role = one(Role.class);
    assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().contains("endpoints")
        && r.getVerbs().contains("list")), "discovery may list endpoints");
    assertTrue(role.getRules().stream().anyMatch(r -> r.getApiGroups().contains("discovery.k8s.io")
        && r.getResources().contains("endpointslices") && r.getVerbs().containsAll(List.of("get", "list", "watch"))),
        "k8s:// targets may list and watch EndpointSlices");
    assertEquals("sluice", one(HorizontalPodAutoscaler.class).getSpec().getScaleTargetRef().getName());
    one(PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels()
        .forEach((k, v) -> assertEquals(v, podLabels.get(k)));
  }

  @Test
  void the_probes_answer_200_on_a_node_started_with_the_configmap_settings(Vertx vertx) throws Exception {
    Path routes = Files.createTempFile("routes", ".yaml");
    Files.writeString(routes, one(ConfigMap.class).getData().get("routes.yaml"));
    Map<String, String> local = new HashMap<>(Map.of("SLUICE_PG_URL", "", "SLUICE_PROXY_PORT", "0",
        "SLUICE_ADMIN_PORT", "0", "SLUICE_PROXY_TLS_PORT", "0", "SLUICE_ADMIN_HOST", "127.0.0.1", "SLUICE_PROXY_HOST", "127.0.0.1",
        "SLUICE_PROXY_INSTANCES", "1", "SLUICE_ROUTES_FILE", routes.toString()));
    // On this machine: no Kubernetes API to discover members with, and no Kafka to export to.
    local.put("SLUICE_CLUSTER_DISCOVERY", "none");
    local.put("SLUICE_STREAM_ENABLED", "false");
    NodeSettings s = configMapSettings(local);
    SluiceNode node = SluiceNode.start(s).await();
    try {
      Http http = new Http(vertx);
      Container c = container();
      for (var probe : List.of(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe())) {
        HTTPGetAction get = probe.getHttpGet();
        assertEquals("admin", get.getPort().getStrVal());
        assertEquals(200, http.get(node.adminPort(), get.getPath()).status(), get.getPath());
      }
    } finally {
      node.stop();
    }
  }
}
