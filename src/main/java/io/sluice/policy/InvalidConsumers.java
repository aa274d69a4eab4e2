package io.sluice.policy;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.ConsumerFields;
import io.sluice.config.FieldError;
import io.sluice.credential.Consumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's guard against consumers stored in a form the admin API refuses (written with psql: a control
 * character in a username, a comma inside a group name): such a consumer never identifies a request, since its
 * fields would go upstream in {@code X-Consumer-*} headers (a raw C1 byte, a forged extra group, a header split).
 * The request is answered 500 {@code consumer_invalid} naming nothing of the consumer; the log names it (id,
 * tenant, field) the first time this node meets it, every refusal is counted ({@code sluice_consumer_invalid_total}
 * by field), and the consumers met lately are listed in {@code /health/ready}: a bounded list, since consumers are
 * never loaded whole, only the ones requests bring. One per node ({@link #of}); any thread.
 */
public final class InvalidConsumers {

  /** Consumers listed at most: a bounded report whatever a bulk psql update broke (the log names every one). */
  static final int LISTED = 100;
  /** A consumer no request brought for this long leaves the list (fixed, deleted, or its clients gave up). */
  static final Duration REMEMBERED = Duration.ofMinutes(15);

  static final String MESSAGE = "the consumer this credential belongs to is stored in a form the gateway refuses;"
      + " the operator's log names it";

  private static final Logger LOG = LoggerFactory.getLogger(InvalidConsumers.class);

  /** One consumer met lately: its tenant, what is wrong with it, when it was first and last refused, how often. */
  private record Seen(String id, String tenant, List<FieldError> problems, Instant first, Instant last,
                      long refused) {}

  private final Cache<String, Seen> recent = Caffeine.newBuilder().maximumSize(LISTED)
      .expireAfterWrite(REMEMBERED).executor(Runnable::run).build();
  private final MeterRegistry registry;
  /** By field (username, custom_id, groups): a handful of series. */
  private final Map<String, Counter> refusals = new ConcurrentHashMap<>();

  private InvalidConsumers(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The node's guard, made on first use. */
  public static InvalidConsumers of(PolicyServices services) {
    return services.shared(InvalidConsumers.class, vertx -> new InvalidConsumers(services.registry()));
  }

  /**
   * The refusal of a request whose credential belongs to {@code consumer}, or null when the consumer's fields are
   * fit to be sent upstream (checked as the admin API checks them on write, {@link ConsumerFields}).
   */
  public Refusal check(PolicyCall call, Consumer consumer) {
    List<FieldError> problems = ConsumerFields.check(consumer.username(), consumer.customId(), consumer.groups());
    if (problems.isEmpty()) {
      if (recent.estimatedSize() > 0) {
        recent.invalidate(consumer.id()); // fixed since: off the list at once
      }
      return null;
    }
    String field = problems.get(0).field();
    int bracket = field.indexOf('[');
    String base = bracket < 0 ? field : field.substring(0, bracket);
    refusals.computeIfAbsent(base, f -> Counter.builder(io.sluice.metrics.Meters.CONSUMER_INVALID).tag("field", f)
        .description("Requests refused because their consumer is stored in a form the admin API refuses")
        .register(registry)).increment();
    Instant now = Instant.now();
    String tenant = consumer.tenant() != null ? consumer.tenant() : consumer.tenantId();
    boolean[] news = new boolean[1];
    recent.asMap().compute(consumer.id(), (id, before) -> {
      news[0] = before == null || !before.problems().equals(problems);
      return new Seen(id, tenant, problems, before == null ? now : before.first(), now,
          before == null ? 1 : before.refused() + 1);
    });
    if (news[0]) {
      LOG.warn("consumer {} of tenant {} is stored in a form the admin API refuses (written with psql?): {}; requests"
              + " with its credentials are answered 500 consumer_invalid until it is fixed or deleted",
          consumer.id(), tenant, problems, kv("request_id", call.requestId()), kv("consumer_id", consumer.id()),
          kv("tenant", tenant), kv("field", field));
    }
    return new Refusal(500, "consumer_invalid", MESSAGE);
  }

  /** The consumers refused lately, most recent first, as /health/ready lists them. */
  public JsonArray recent() {
    JsonArray out = new JsonArray();
    recent.asMap().values().stream().sorted(Comparator.comparing(Seen::last).reversed()).forEach(s -> {
      JsonArray fields = new JsonArray();
      s.problems().forEach(p -> fields.add(new JsonObject().put("field", p.field()).put("reason", p.reason())));
      out.add(new JsonObject().put("id", s.id()).put("tenant", s.tenant()).put("fields", fields)
          .put("first_refused", s.first().toString()).put("last_refused", s.last().toString())
          .put("requests_refused", s.refused()));
    });
    return out;
  }
}
