package io.sluice.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Names that have the form of an id (a UUID), refused for every entity a reference names by name or id
 * (tenants, services, routes, certificates): a service named after another service's id made a route that
 * names it, read and put back unchanged, point at that other service.
 */
public final class IdFormNames {

  /** What an id looks like (any case: PostgreSQL reads either as the same uuid). */
  private static final Pattern ID_FORM =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private IdFormNames() {}

  public static boolean looksLikeId(String name) {
    return name != null && ID_FORM.matcher(name).matches();
  }

  /** Why such a name is refused, for the field that carries it ({@code what}: "service", "route", ...). */
  public static String reason(String what) {
    return "a " + what + " name cannot have the form of an id (a " + what + " is referred to by name or id, so"
        + " such a name could be another " + what + "'s id)";
  }

  /** The {@code name} field of an admin API entity, refused when it has the form of an id. */
  public static List<FieldError> name(String what, String name) {
    return looksLikeId(name) ? List.of(new FieldError("name", reason(what))) : List.of();
  }

  /** Each service, route and certificate of a file whose name has the form of an id, named by its field. */
  public static List<FieldError> inFile(GatewayConfig config) {
    List<FieldError> errors = new ArrayList<>();
    for (int i = 0; i < config.services().size(); i++) {
      if (looksLikeId(config.services().get(i).name())) {
        errors.add(new FieldError("services[" + i + "].name", reason("service")));
      }
    }
    for (int i = 0; i < config.routes().size(); i++) {
      if (looksLikeId(config.routes().get(i).name())) {
        errors.add(new FieldError("routes[" + i + "].name", reason("route")));
      }
    }
    for (int i = 0; config.hasCertificates() && i < config.certificates().size(); i++) {
      if (looksLikeId(config.certificates().get(i).name())) {
        errors.add(new FieldError("certificates[" + i + "].name", reason("certificate")));
      }
    }
    return errors;
  }
}
