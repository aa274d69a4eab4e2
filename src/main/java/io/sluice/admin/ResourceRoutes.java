package io.sluice.admin;

import io.vertx.ext.web.Router;

/** The entity resources of the admin API (/tenants, /services, /routes, /consumers, keys, /plugins). */
final class ResourceRoutes {

  private ResourceRoutes() {}

  static void mount(Router router, AdminContext context) {
    // Being written (issue 3): CRUD with If-Match, JSON Schema validation, Sluice-Config-Version.
  }
}
