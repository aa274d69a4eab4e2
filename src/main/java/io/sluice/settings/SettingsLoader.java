package io.sluice.settings;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.FieldError;
import io.sluice.config.InputMappers;
import io.sluice.config.Schemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds {@link NodeSettings}: the YAML file, then {@code SLUICE_*} environment overrides, validated against
 * {@code schema/sluice-settings.json} (which also holds every default), so a typo or a bad value stops the
 * start with the key named instead of being silently ignored.
 */
public final class SettingsLoader {

  /** A boolean variable's values, as YAML 1.2 reads a file's. */
  private static final Set<String> YAML_BOOLEANS = Set.of("true", "True", "TRUE", "false", "False", "FALSE");

  public static final String SCHEMA = "sluice-settings";
  /** Environment variables with the prefix that are not settings keys but are still ours. */
  private static final List<String> NOT_SETTINGS = List.of("SLUICE_CONFIG", "SLUICE_JAVA_OPTS");

  private static final ObjectMapper YAML = InputMappers.yaml()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  private final List<String> warnings = new ArrayList<>();

  /**
   * Loads settings from {@code file} (absent file: defaults only, unless {@code required}) and {@code env}. Every
   * problem is reported in one round: the checks a schema cannot express (URLs, host lists) run even when the schema
   * refused something, on the rest of the settings with each refused key at its default, so that fixing the first
   * batch does not reveal a second. A problem with a value taken from a variable names the variable.
   */
  public NodeSettings load(Path file, boolean required, Map<String, String> env) {
    ObjectNode doc = readFile(file, required);
    JsonNode schema = Schemas.raw(SCHEMA);
    List<String> problems = new ArrayList<>();
    Map<String, String> fromEnv = new HashMap<>();
    applyEnv(doc, schema, env, problems, fromEnv);
    lowerCaseLogLevel(doc);
    List<FieldError> refused = Schemas.validate(SCHEMA, doc);
    Set<String> refusedKeys = new HashSet<>();
    for (FieldError e : refused) {
      problems.add(named(e.field(), e.reason(), fromEnv));
      refusedKeys.add(e.field());
      remove(doc, e.field());
    }
    Schemas.applyDefaults(doc, schema);
    NodeSettings settings;
    try {
      settings = YAML.convertValue(doc, NodeSettings.class);
    } catch (IllegalArgumentException e) {
      if (problems.isEmpty()) {
        throw e;
      }
      throw new SettingsException(problems); // what the schema refused leaves nothing to check further
    }
    List<String> checked = new ArrayList<>();
    SettingsChecks.all(settings, checked);
    for (String problem : checked) {
      int colon = problem.indexOf(": ");
      String key = colon < 0 ? "" : problem.substring(0, colon);
      if (!refusedKeys.contains(key)) { // a default standing in for a refused value is not a second problem
        problems.add(colon < 0 ? problem : named(key, problem.substring(colon + 2), fromEnv));
      }
    }
    if (!problems.isEmpty()) {
      throw new SettingsException(problems);
    }
    return settings;
  }

  /** "key: reason", or "key (SLUICE_KEY): reason" when a variable set the key (its value is not echoed). */
  private static String named(String key, String reason, Map<String, String> fromEnv) {
    String var = fromEnv.get(key.replaceAll("\\[\\d+]$", ""));
    return var == null || reason.startsWith(var) ? key + ": " + reason : key + " (" + var + "): " + reason;
  }

  /**
   * Log levels in any case, as PUT /logging takes them and logback reads them ({@code DEBUG}, {@code Off}). An
   * unquoted {@code off} in the file is YAML's false: taken as off.
   */
  private static void lowerCaseLogLevel(ObjectNode doc) {
    JsonNode level = doc.path("log").path("level");
    if (level.isTextual()) {
      ((ObjectNode) doc.get("log")).put("level", level.asText().toLowerCase(Locale.ROOT));
    } else if (level.isBoolean() && !level.booleanValue()) {
      ((ObjectNode) doc.get("log")).put("level", "off");
    }
  }

  /** Removes the key at {@code field} (a dotted path; an item of a list removes the list), so its default applies. */
  private static void remove(ObjectNode doc, String field) {
    String[] parts = field.replaceAll("\\[\\d+].*$", "").split("\\.");
    JsonNode parent = doc;
    for (int i = 0; i < parts.length - 1 && parent != null; i++) {
      parent = parent.get(parts[i]);
    }
    if (parent instanceof ObjectNode object) {
      object.remove(parts[parts.length - 1]);
    }
  }

  /** Things worth a log line that do not stop the start (unknown SLUICE_ variables, for instance). */
  public List<String> warnings() {
    return warnings;
  }

  private static ObjectNode readFile(Path file, boolean required) {
    if (file == null || !Files.exists(file)) {
      if (required) {
        throw new SettingsException(List.of("settings file " + file + ": does not exist"));
      }
      return JsonNodeFactory.instance.objectNode();
    }
    try {
      JsonNode node = YAML.readTree(file.toFile());
      if (node == null || node.isMissingNode() || node.isNull()) {
        return JsonNodeFactory.instance.objectNode();
      }
      if (!node.isObject()) {
        throw new SettingsException(List.of("settings file " + file + ": must be a YAML mapping"));
      }
      return (ObjectNode) node;
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      var at = e.getLocation();
      throw new SettingsException(List.of("settings file " + file + ": not valid YAML"
          + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": "
          + e.getOriginalMessage().lines().findFirst().orElse("")));
    } catch (IOException e) {
      throw new SettingsException(List.of("settings file " + file + ": cannot read (" + e + ")"));
    }
  }

  /** Maps every leaf key of the schema to its variable name: proxy.max_body_bytes is SLUICE_PROXY_MAX_BODY_BYTES. */
  public static Map<String, String> envNames(JsonNode schema) {
    Map<String, String> names = new LinkedHashMap<>();
    collect(schema, "", names);
    return names;
  }

  private static void collect(JsonNode schema, String prefix, Map<String, String> out) {
    Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      if ("object".equals(e.getValue().path("type").asText())) {
        collect(e.getValue(), key, out);
      } else {
        out.put("SLUICE_" + key.replace('.', '_').toUpperCase(Locale.ROOT), key);
      }
    }
  }

  /** Sets the keys {@code env} names, recording each in {@code fromEnv} (key to variable). */
  private void applyEnv(ObjectNode doc, JsonNode schema, Map<String, String> env, List<String> problems,
                        Map<String, String> fromEnv) {
    Map<String, String> names = envNames(schema);
    for (Map.Entry<String, String> e : env.entrySet()) {
      String var = e.getKey();
      if (!var.startsWith("SLUICE_") || NOT_SETTINGS.contains(var)) {
        continue;
      }
      String key = names.get(var);
      if (key == null) {
        // Not fatal: Kubernetes injects SLUICE_SERVICE_HOST and the like for a Service named sluice.
        warnings.add("environment variable " + var + " is not a settings key; ignored");
        continue;
      }
      fromEnv.put(key, var);
      String[] parts = key.split("\\.");
      ObjectNode parent = doc;
      JsonNode leafSchema = schema;
      for (int i = 0; i < parts.length - 1; i++) {
        JsonNode child = parent.get(parts[i]);
        if (!(child instanceof ObjectNode)) {
          child = parent.putObject(parts[i]);
        }
        parent = (ObjectNode) child;
        leafSchema = leafSchema.path("properties").path(parts[i]);
      }
      String leaf = parts[parts.length - 1];
      String type = leafSchema.path("properties").path(leaf).path("type").asText();
      String value = e.getValue();
      switch (type) {
        case "integer" -> {
          try {
            parent.put(leaf, Long.parseLong(value.trim()));
          } catch (NumberFormatException ex) {
            problems.add(key + ": " + var + "='" + value + "' is not an integer"
                + (value.trim().matches("-?[0-9]+") ? " it can hold (too large)" : ""));
          }
        }
        case "boolean" -> {
          String b = value.trim();
          if (!YAML_BOOLEANS.contains(b)) {
            problems.add(key + ": " + var + "='" + value + "' is not true or false");
          } else {
            parent.put(leaf, b.equalsIgnoreCase("true"));
          }
        }
        default -> parent.put(leaf, value);
      }
    }
  }
}
