package io.sluice.admin;

import io.sluice.config.EntityType;
import io.sluice.settings.NodeSettings;
import io.sluice.tls.KeySealer;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The entity resources of the admin API (/tenants, /services, /routes, /consumers, keys, /plugins,
 * /certificates, /snis). */
final class ResourceRoutes {

  /** Largest admin request body: an entity is a few KiB; a service with 1000 targets stays well below. */
  private static final long BODY_LIMIT = 1024 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(ResourceRoutes.class);

  private ResourceRoutes() {}

  static void mount(Router router, AdminContext context) {
    NodeSettings.Keys keys = context.settings().keys();
    List<Resource> all = new ArrayList<>(Resources.all());
    all.addAll(Resources.tls(new KeySealer(KeySealer.secretOf(keys.encryptionSecret(), keys.hmacSecret()))));
    for (Resource r : all) {
      String prefix = r.path() + "*";
      if (!context.storeEnabled()) {
        router.route(prefix).handler(rc -> Replies.error(rc, 503, "store_disabled",
            "the admin API's resources need the configuration store: set pg.url (SLUICE_PG_URL)"));
        continue;
      }
      // No file uploads: a multipart body is refused (415) before this, and nothing is ever written to disk.
      router.route(prefix).handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
    }
    if (!context.storeEnabled()) {
      return;
    }
    String secret = context.settings().keys().hmacSecret();
    if (secret == null || secret.isEmpty()) {
      LOG.warn("keys.hmac_secret is empty: API key digests use a fixed development key; set"
          + " SLUICE_KEYS_HMAC_SECRET (the same on every node) before issuing real keys");
    }
    // A tenant token reaches the credentials of its tenant's consumers and its own stream tokens only.
    TenantScope scope = new TenantScope(context.entities());
    router.route("/consumers/:id/keys*").handler(rc -> scope.check(rc, EntityType.CONSUMER, "consumer"));
    router.route("/consumers/:id/jwt*").handler(rc -> scope.check(rc, EntityType.CONSUMER, "consumer"));
    router.route("/tenants/:id/stream-tokens*").handler(scope::tenantOfPath)
        .handler(rc -> scope.check(rc, EntityType.TENANT, "tenant"));
    // Keys before /consumers/:id so that the sub-resource is not taken for a consumer id.
    new KeyRoutes(context.entities(), secret).mount(router);
    new JwtRoutes(context.entities(), secret).mount(router);
    new StreamTokenRoutes(context.vertx(), context.streamTokens(), secret).mount(router);
    Paging paging = new Paging(secret);
    for (Resource r : all) {
      new CrudHandler(r, context.entities(), paging).mount(router);
    }
  }
}
