package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Locale;

/**
 * A tenant of a declarative file's {@code tenants} list: its name and the host names an operator assigns to it (in
 * lower case, as stored; see entity-tenant.json). Tenants named elsewhere in the file (by services, consumers and
 * certificates) need no entry; one is there for its host names.
 */
public record TenantEntry(String name, List<String> hosts) {

  @JsonCreator
  public TenantEntry(@JsonProperty("name") String name, @JsonProperty("hosts") List<String> hosts) {
    this.name = name;
    this.hosts = hosts == null ? List.of()
        : hosts.stream().map(h -> h == null ? null : h.toLowerCase(Locale.ROOT)).toList();
  }
}
