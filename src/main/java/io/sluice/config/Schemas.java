package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** JSON Schemas shipped under {@code /schema} in the jar, compiled once, reporting every failing field. */
public final class Schemas {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final Map<String, JsonSchema> COMPILED = new ConcurrentHashMap<>();
  private static final Map<String, JsonNode> RAW = new ConcurrentHashMap<>();

  private static final String NOT_OF_FORM = "is not of the expected form";

  private Schemas() {}

  /** The schema document itself, for defaults and descriptions. */
  public static JsonNode raw(String name) {
    return RAW.computeIfAbsent(name, n -> {
      try (InputStream in = Schemas.class.getResourceAsStream("/schema/" + n + ".json")) {
        if (in == null) {
          throw new IllegalStateException("no schema " + n);
        }
        return JSON.readTree(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** Every violation of schema {@code name} in {@code doc}, sorted by field; empty when valid. */
  public static List<FieldError> validate(String name, JsonNode doc) {
    // Loaded by location, so that a schema can $ref another one beside it (entity-service.json refers to
    // declarative.json's service).
    JsonSchema schema = COMPILED.computeIfAbsent(name,
        n -> FACTORY.getSchema(SchemaLocation.of("classpath:schema/" + n + ".json")));
    List<FieldError> errors = new ArrayList<>();
    Set<FieldError> alternatives = new LinkedHashSet<>();
    for (ValidationMessage m : schema.validate(doc)) {
      FieldError oneOf = alternatives(m);
      if (oneOf != null) {
        alternatives.add(oneOf); // every branch of an anyOf failed: one line for the anyOf, not one per branch
      } else {
        errors.add(toFieldError(m));
      }
    }
    errors.addAll(alternatives);
    errors.sort(Comparator.comparing(FieldError::field).thenComparing(FieldError::reason));
    return errors;
  }

  /**
   * Fills every absent key that has a {@code default} in the schema, through nested objects and arrays of
   * objects, so that the schema is the one place a default is written down.
   */
  public static void applyDefaults(JsonNode doc, JsonNode schema) {
    if (doc instanceof ObjectNode obj) {
      Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode prop = e.getValue();
        if (!obj.has(e.getKey()) && prop.has("default")) {
          obj.set(e.getKey(), prop.get("default").deepCopy());
        }
        if (obj.has(e.getKey())) {
          applyDefaults(obj.get(e.getKey()), prop);
        }
      }
    } else if (doc instanceof ArrayNode arr && schema.has("items")) {
      for (JsonNode item : arr) {
        applyDefaults(item, schema.get("items"));
      }
    }
  }

  private static FieldError toFieldError(ValidationMessage m) {
    String at = path(m.getInstanceLocation().toString());
    String type = m.getType();
    if (("additionalProperties".equals(type) || "required".equals(type)) && m.getProperty() != null) {
      String field = at.isEmpty() ? m.getProperty() : at + "." + m.getProperty();
      return new FieldError(field, "additionalProperties".equals(type) ? "unknown key" : "is required");
    }
    if ("pattern".equals(type)) {
      // Never the regular expression itself (some are hundreds of characters): the form it asks for, in words.
      Keyword keyword = keyword(m);
      String form = keyword == null ? null : PatternForms.of(keyword.asText());
      return new FieldError(at.isEmpty() ? "(root)" : at,
          form != null ? NOT_OF_FORM + ": " + form : NOT_OF_FORM + described(m));
    }
    String counted = counted(m);
    if (counted != null) {
      return new FieldError(at.isEmpty() ? "(root)" : at, counted);
    }
    String msg = m.getMessage();
    int colon = msg.indexOf(": ");
    String reason = colon >= 0 && msg.startsWith("$") ? msg.substring(colon + 2) : msg;
    return new FieldError(at.isEmpty() ? "(root)" : at, inWords(type, reason));
  }

  private static final java.util.regex.Pattern TYPE = java.util.regex.Pattern.compile("(\\w+) found, (\\w+) expected");
  private static final java.util.regex.Pattern CONST = java.util.regex.Pattern.compile("must be the constant value '(.*)'");
  private static final java.util.regex.Pattern ENUM =
      java.util.regex.Pattern.compile("does not have a value in the enumeration \\[(.*)]");

  /**
   * The validator's phrasing of a wrong type, a constant and an enumeration in the API's words ("string found,
   * integer expected" is "must be an integer, not a string"); any other reason as it is.
   */
  static String inWords(String type, String reason) {
    java.util.regex.Matcher t = TYPE.matcher(reason);
    if ("type".equals(type) && t.matches()) {
      return "must be " + typeWords(t.group(2)) + ", not " + typeWords(t.group(1));
    }
    java.util.regex.Matcher c = CONST.matcher(reason);
    if ("const".equals(type) && c.matches()) {
      return "must be " + c.group(1);
    }
    java.util.regex.Matcher e = ENUM.matcher(reason);
    if ("enum".equals(type) && e.matches()) {
      return "must be one of: " + e.group(1);
    }
    return reason;
  }

  private static String typeWords(String jsonType) {
    return switch (jsonType) {
      case "integer" -> "an integer";
      case "number" -> "a number";
      case "boolean" -> "true or false";
      case "string" -> "a string";
      case "array" -> "a list";
      case "object" -> "an object";
      case "null" -> "null";
      default -> jsonType;
    };
  }

  /**
   * A too-short array or an empty string in words, where the validator says "must have at least 1 items but found
   * 0" and "must be at least 1 characters long"; null for any other failure (its words stand).
   */
  private static String counted(ValidationMessage m) {
    Keyword keyword = keyword(m);
    if (keyword == null || !keyword.value().canConvertToInt()) {
      return null;
    }
    int least = keyword.value().intValue();
    if ("minItems".equals(m.getType())) {
      return least == 1 ? "needs at least one item" : "needs at least " + least + " items";
    }
    return "minLength".equals(m.getType()) && least == 1 ? "must not be empty" : null;
  }

  /**
   * A failure inside an {@code anyOf} branch (they are reported only when every branch fails) as the one
   * requirement it is: "needs one of: allow (not empty), deny (not empty)" at the object holding the anyOf,
   * where the validator names each branch's field as if each were required. Null for any other failure.
   */
  private static FieldError alternatives(ValidationMessage m) {
    String location = m.getSchemaLocation().toString();
    int anyOf = location.indexOf("/anyOf/");
    String[] filePointer = filePointer(location);
    if (anyOf < 0 || filePointer == null) {
      return null;
    }
    JsonNode branches = raw(filePointer[0]).at(location.substring(location.indexOf('#') + 1, anyOf) + "/anyOf");
    List<String> options = new ArrayList<>();
    for (JsonNode branch : branches) {
      List<String> names = new ArrayList<>();
      branch.path("required").forEach(n -> names.add(n.asText()));
      if (names.isEmpty()) {
        return null; // a branch that is not a plain "this field" requirement: the validator's words stand
      }
      boolean nonEmpty = !branch.path("properties").findValues("minItems").isEmpty();
      options.add(String.join(" and ", names) + (nonEmpty ? " (not empty)" : ""));
    }
    String at = path(m.getInstanceLocation().toString());
    if (location.substring(anyOf + "/anyOf/".length()).contains("/properties/")) {
      at = at.contains(".") ? at.substring(0, at.lastIndexOf('.')) : ""; // a branch's property: the anyOf's object
    }
    return new FieldError(at.isEmpty() ? "(root)" : at, "needs one of: " + String.join(", ", options));
  }

  /** ": " and the failing keyword's schema description, when it has a short one; "" otherwise. */
  private static String described(ValidationMessage m) {
    Keyword keyword = keyword(m);
    String description = keyword == null ? "" : keyword.parent().path("description").asText("");
    return description.isEmpty() || description.length() > 160 ? "" : " (" + description + ")";
  }

  /** The failing keyword's value in the shipped schema, and the schema object holding it; null if not found. */
  private static Keyword keyword(ValidationMessage m) {
    try {
      String[] fp = filePointer(m.getSchemaLocation().toString());
      if (fp == null) {
        return null;
      }
      JsonNode value = raw(fp[0]).at(fp[1]);
      return value.isMissingNode() ? null : new Keyword(value, raw(fp[0]).at(fp[1].replaceFirst("/[^/]+$", "")));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** classpath:schema/declarative.json#/properties/...: the schema's name and the pointer; null otherwise. */
  private static String[] filePointer(String location) {
    int hash = location.indexOf('#');
    int slash = hash < 0 ? -1 : location.lastIndexOf("schema/", hash);
    if (slash < 0) {
      return null;
    }
    return new String[] {location.substring(slash + "schema/".length(), hash).replaceFirst("\\.json$", ""),
        location.substring(hash + 1)};
  }

  private record Keyword(JsonNode value, JsonNode parent) {
    String asText() {
      return value.asText();
    }
  }

  /** Whether {@code e} is a schema pattern refusal (a cross-check's own words about the field replace it). */
  static boolean isFormError(FieldError e) {
    return e.reason().startsWith(NOT_OF_FORM);
  }

  private static String path(String location) {
    String p = location.startsWith("$") ? location.substring(1) : location;
    return p.startsWith(".") ? p.substring(1) : p;
  }
}
