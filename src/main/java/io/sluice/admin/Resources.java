package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.FieldError;
import io.sluice.config.PolicySchemas;
import io.sluice.config.RouteDef;
import io.sluice.config.Schemas;
import io.sluice.config.ServiceDef;
import io.sluice.admin.Resource.Ref;
import java.util.ArrayList;
import java.util.List;

/**
 * The entities of the admin API. Services and routes are in the declarative file's shape (a route names
 * its service, a service its tenant), so an entity matches conf/routes.yaml and /config.
 */
final class Resources {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DOC = " from (select $1::text::jsonb d) i";
  private static final String BY_TENANT = "(t.name = $1 or t.id::text = $1)";
  private static final Ref TENANT = new Ref("tenant", "tenant", "select id from tenants where name = $1 or id::text = $1");

  private Resources() {}

  static List<Resource> all() {
    return List.of(tenants(), services(), routes(), consumers(), plugins());
  }

  private static String meta() {
    return "'id', x.id, 'version', x.version, 'updated_at', x.updated_at";
  }

  static Resource tenants() {
    return new Resource("/tenants", "tenant", "tenants", "entity-tenant", Schemas.raw("entity-tenant"),
        "select jsonb_build_object(" + meta() + ", 'name', x.name)::text from tenants x", null, List.of(),
        "insert into tenants (name) select d->>'name'" + DOC + " returning id",
        "update tenants set name = d->>'name'" + DOC + " where tenants.id = $2", null);
  }

  static Resource services() {
    return new Resource("/services", "service", "services", "entity-service",
        Schemas.raw("declarative").at("/properties/services/items"),
        "select jsonb_strip_nulls(jsonb_build_object(" + meta() + ", 'name', x.name, 'tenant', t.name,"
            + " 'path', x.path, 'targets', x.targets, 'load_balancing', x.load_balancing, 'retries', x.retries,"
            + " 'retry_backoff', x.retry_backoff, 'timeouts', x.timeouts, 'circuit_breaker', x.circuit_breaker))::text"
            + " from services x left join tenants t on t.id = x.tenant_id",
        BY_TENANT, List.of(TENANT),
        "insert into services (name, tenant_id, path, targets, load_balancing, retries, retry_backoff, timeouts,"
            + " circuit_breaker) select d->>'name', $2::uuid, d->>'path', d->'targets', d->'load_balancing',"
            + " (d->>'retries')::int, d->'retry_backoff', d->'timeouts', d->'circuit_breaker'" + DOC + " returning id",
        "update services set name = d->>'name', tenant_id = $2::uuid, path = d->>'path', targets = d->'targets',"
            + " load_balancing = d->'load_balancing', retries = (d->>'retries')::int, retry_backoff = d->'retry_backoff',"
            + " timeouts = d->'timeouts', circuit_breaker = d->'circuit_breaker'" + DOC + " where services.id = $3",
        doc -> DeclarativeConfig.checkService(JSON.convertValue(doc, ServiceDef.class), ""));
  }

  static Resource routes() {
    String arrays = "array(select jsonb_array_elements_text(d->'%s'))";
    return new Resource("/routes", "route", "routes", "entity-route",
        Schemas.raw("declarative").at("/properties/routes/items"),
        "select jsonb_build_object(" + meta() + ", 'name', x.name, 'service', s.name, 'hosts', to_jsonb(x.hosts),"
            + " 'paths', to_jsonb(x.paths), 'methods', to_jsonb(x.methods), 'headers', x.headers,"
            + " 'strip_path', x.strip_path, 'preserve_host', x.preserve_host, 'priority', x.priority)::text"
            + " from routes x join services s on s.id = x.service_id left join tenants t on t.id = s.tenant_id",
        BY_TENANT, List.of(new Ref("service", "service", "select id from services where name = $1 or id::text = $1")),
        "insert into routes (name, service_id, hosts, paths, methods, headers, strip_path, preserve_host, priority)"
            + " select d->>'name', $2::uuid, " + arrays.formatted("hosts") + ", " + arrays.formatted("paths") + ", "
            + arrays.formatted("methods") + ", d->'headers', (d->>'strip_path')::boolean,"
            + " (d->>'preserve_host')::boolean, (d->>'priority')::int" + DOC + " returning id",
        "update routes set name = d->>'name', service_id = $2::uuid, hosts = " + arrays.formatted("hosts")
            + ", paths = " + arrays.formatted("paths") + ", methods = " + arrays.formatted("methods")
            + ", headers = d->'headers', strip_path = (d->>'strip_path')::boolean,"
            + " preserve_host = (d->>'preserve_host')::boolean, priority = (d->>'priority')::int" + DOC
            + " where routes.id = $3",
        doc -> DeclarativeConfig.checkRoute(JSON.convertValue(doc, RouteDef.class), ""));
  }

  static Resource consumers() {
    return new Resource("/consumers", "consumer", "consumers", "entity-consumer", Schemas.raw("entity-consumer"),
        "select jsonb_strip_nulls(jsonb_build_object(" + meta() + ", 'tenant', t.name, 'username', x.username,"
            + " 'custom_id', x.custom_id, 'groups', to_jsonb(x.groups)))::text"
            + " from consumers x join tenants t on t.id = x.tenant_id",
        BY_TENANT, List.of(TENANT),
        "insert into consumers (tenant_id, username, custom_id, groups) select $2::uuid, d->>'username',"
            + " d->>'custom_id', array(select jsonb_array_elements_text(d->'groups'))" + DOC + " returning id",
        "update consumers set tenant_id = $2::uuid, username = d->>'username', custom_id = d->>'custom_id',"
            + " groups = array(select jsonb_array_elements_text(d->'groups'))" + DOC
            + " where consumers.id = $3", null);
  }

  static Resource plugins() {
    return new Resource("/plugins", "plugin", "plugins", "entity-plugin", Schemas.raw("entity-plugin"),
        "select (jsonb_build_object(" + meta() + ", 'name', x.name, 'scope', x.scope, 'config', x.config,"
            + " 'enabled', x.enabled) || jsonb_strip_nulls(jsonb_build_object('service', s.name, 'route', r.name,"
            + " 'consumer', x.consumer_id)))::text from plugins x left join services s on s.id = x.service_id"
            + " left join routes r on r.id = x.route_id left join services rs on rs.id = r.service_id"
            + " left join consumers c on c.id = x.consumer_id"
            + " left join tenants t on t.id = coalesce(s.tenant_id, rs.tenant_id, c.tenant_id)",
        BY_TENANT, List.of(
            new Ref("service", "service", "select id from services where name = $1 or id::text = $1"),
            new Ref("route", "route", "select id from routes where name = $1 or id::text = $1"),
            new Ref("consumer", "consumer", "select id from consumers where id::text = $1")),
        "insert into plugins (name, scope, service_id, route_id, consumer_id, config, enabled)"
            + " select d->>'name', d->>'scope', $2::uuid, $3::uuid, $4::uuid, d->'config', (d->>'enabled')::boolean"
            + DOC + " returning id",
        "update plugins set name = d->>'name', scope = d->>'scope', service_id = $2::uuid, route_id = $3::uuid,"
            + " consumer_id = $4::uuid, config = d->'config', enabled = (d->>'enabled')::boolean" + DOC
            + " where plugins.id = $5",
        Resources::checkPluginScope);
  }

  /** A plugin names a known policy, its config fits the policy's schema, and it names its scope's target. */
  private static List<FieldError> checkPluginScope(JsonNode doc) {
    String scope = doc.path("scope").asText();
    List<FieldError> errors = new ArrayList<>(
        PolicySchemas.validate(doc.path("name").asText(), doc.path("config"), ""));
    if (errors.isEmpty()) {
      errors.addAll(io.sluice.policy.registry.Policies.check(doc.path("name").asText(), doc.path("config")));
    }
    for (String target : List.of("service", "route", "consumer")) {
      boolean present = doc.has(target);
      if (target.equals(scope) && !present) {
        errors.add(new FieldError(target, "is required for scope " + scope));
      } else if (!target.equals(scope) && present) {
        errors.add(new FieldError(target, "not allowed for scope " + scope));
      }
    }
    return errors;
  }
}
