package io.sluice.store;

/** A consumer's one projection and one write (aliases: {@code x} the consumer, {@code t} its tenant). */
final class ConsumerSql {

  static final String DEF = "jsonb_strip_nulls(jsonb_build_object('tenant', t.name, 'username', x.username,"
      + " 'custom_id', x.custom_id, 'groups', to_jsonb(x.groups)))";
  static final String FROM = " from consumers x join tenants t on t.id = x.tenant_id";

  static final String COLUMNS = "tenant_id, username, custom_id, groups";
  static final String VALUES = "$2::uuid, d->>'username', d->>'custom_id',"
      + " array(select jsonb_array_elements_text(coalesce(d->'groups', '[]')))";

  static final String INSERT = "insert into consumers (" + COLUMNS + ") select " + VALUES + Docs.ONE + " returning id";

  /** $1 the document, $2 the tenant's id, $3 the consumer's id. */
  static final String UPDATE = "update consumers set (" + COLUMNS + ") = (select " + VALUES + Docs.ONE
      + ") where id = $3"
      + Docs.changesSomething(COLUMNS, VALUES);

  static final String FIND = "select id from consumers where id::text = $1";

  private ConsumerSql() {}
}
