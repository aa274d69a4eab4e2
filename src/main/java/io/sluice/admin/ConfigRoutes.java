package io.sluice.admin;

import io.vertx.ext.web.Router;

/** The declarative endpoint of the admin API: GET and PUT /config. */
final class ConfigRoutes {

  private ConfigRoutes() {}

  static void mount(Router router, AdminContext context) {
    // Being written (issue 3): export as YAML or JSON, apply a file as one diffed transaction.
  }
}
