-- Configuration history (issue 14): what every configuration version changed, per entity, with the before and
-- after images (secrets redacted), who made it, when and from where. Written by triggers, like the change log,
-- so that a row changed with psql is recorded too (as `sql`). Kept apart from the change log: that one is
-- pruned within days (sync.change_log_retention_hours) and carries no images; this one is the audit trail,
-- with its own retention (sync.history_retention_hours).

-- One row per entity row changed in a version. A row changed several times in one transaction keeps one
-- entry: the first before image, the last after image, the op folded like the change log's.
-- entity is the table name; name is the entity's readable name (a consumer's username, a key's prefix...);
-- tenant_id/tenant say whose it is (null: global, e.g. a global plugin or a certificate of no tenant).
-- source: admin (admin API), apply (PUT /config), rollback (POST /config/rollback), sql (anything else).
create table config_history (
  version   bigint not null,
  entity    text not null,
  id        uuid not null,
  op        text not null check (op in ('insert', 'update', 'delete')),
  name      text,
  tenant_id uuid,
  tenant    text,
  before    jsonb,
  after     jsonb,
  actor     jsonb not null,
  source    text not null check (source in ('admin', 'apply', 'rollback', 'sql')),
  at        timestamptz not null default now(),
  primary key (version, entity, id)
);
create index config_history_tenant on config_history (tenant_id, version);
create index config_history_at on config_history (at);

-- A row's image without its secrets: an API key's digest becomes a reference (key_ref, the HMAC digest in hex:
-- useless without the key, and what a declarative file names a key by); an HS secret and a certificate's
-- private key become only a digest of their sealed form (jwt_secret_ref, key_ref), never the value.
create function sluice_history_image(entity text, r jsonb, key_digest bytea, sealed bytea) returns jsonb
  language plpgsql immutable as $$
declare
  img jsonb := r;
begin
  if r is null then
    return null;
  end if;
  if entity = 'credentials' then
    img := img - 'key_digest' - 'jwt_secret_enc';
    if key_digest is not null then
      img := img || jsonb_build_object('key_ref', 'hmac-sha256:' || encode(key_digest, 'hex'));
    end if;
    if sealed is not null then
      img := img || jsonb_build_object('jwt_secret_ref', 'sha256:' || encode(sha256(sealed), 'hex'));
    end if;
  elsif entity = 'certificates' then
    img := img - 'key_enc' || jsonb_build_object('key_ref', 'sha256:' || encode(sha256(sealed), 'hex'));
  end if;
  return img;
end $$;

-- The tenant of a configuration row (its image), or null for a global one.
create function sluice_history_tenant(entity text, r jsonb) returns uuid language plpgsql stable as $$
begin
  case entity
    when 'tenants' then return (r ->> 'id')::uuid;
    when 'services', 'consumers', 'credentials', 'certificates' then return (r ->> 'tenant_id')::uuid;
    when 'routes' then return (select tenant_id from services where id = (r ->> 'service_id')::uuid);
    when 'snis' then return (select tenant_id from certificates where id = (r ->> 'certificate_id')::uuid);
    when 'plugins' then
      return coalesce(
        (select tenant_id from services where id = (r ->> 'service_id')::uuid),
        (select s.tenant_id from routes x join services s on s.id = x.service_id where x.id = (r ->> 'route_id')::uuid),
        (select tenant_id from consumers where id = (r ->> 'consumer_id')::uuid));
    else return null;
  end case;
end $$;

-- The readable name of a configuration row (its image).
create function sluice_history_name(entity text, r jsonb) returns text language sql immutable as $$
  select case entity
    when 'consumers' then r ->> 'username'
    when 'credentials' then coalesce(r ->> 'key_prefix', r ->> 'jwt_issuer')
    when 'plugins' then (r ->> 'name') || ' (' || (r ->> 'scope') || ')'
    when 'certificates' then r ->> 'subject'
    else r ->> 'name'
  end
$$;

-- AFTER INSERT, UPDATE OR DELETE on every configuration table: one history entry per changed row, under the
-- transaction's version, with who (sluice.actor, set by the admin API; {"kind": "sql"} otherwise) and from where
-- (the actor's source; admin for an admin API actor without one, sql without an actor).
create function sluice_record_history() returns trigger language plpgsql as $$
declare
  v      bigint := sluice_config_version_of_tx();
  who    jsonb := coalesce(nullif(current_setting('sluice.actor', true), '')::jsonb, '{"kind": "sql"}');
  src    text;
  b      jsonb;
  a      jsonb;
  img    jsonb;
  tid    uuid;
begin
  src := coalesce(who ->> 'source', case when who ->> 'kind' = 'sql' then 'sql' else 'admin' end);
  if tg_op <> 'INSERT' then
    b := to_jsonb(old);
    if tg_table_name = 'credentials' then
      b := sluice_history_image(tg_table_name, b, old.key_digest, old.jwt_secret_enc);
    elsif tg_table_name = 'certificates' then
      b := sluice_history_image(tg_table_name, b, null, old.key_enc);
    end if;
  end if;
  if tg_op <> 'DELETE' then
    a := to_jsonb(new);
    if tg_table_name = 'credentials' then
      a := sluice_history_image(tg_table_name, a, new.key_digest, new.jwt_secret_enc);
    elsif tg_table_name = 'certificates' then
      a := sluice_history_image(tg_table_name, a, null, new.key_enc);
    end if;
  end if;
  img := coalesce(a, b);
  tid := sluice_history_tenant(tg_table_name, img);
  insert into config_history (version, entity, id, op, name, tenant_id, tenant, before, after, actor, source)
  values (v, tg_table_name, (img ->> 'id')::uuid, lower(tg_op), sluice_history_name(tg_table_name, img), tid,
          case when tg_table_name = 'tenants' then img ->> 'name'
               else (select name from tenants where id = tid) end,
          b, a, who, src)
  on conflict (version, entity, id) do update
    set op = case when excluded.op = 'delete' then 'delete'
                  when config_history.op = 'insert' then 'insert'
                  else 'update' end,
        after = excluded.after,
        name = coalesce(excluded.name, config_history.name),
        tenant_id = coalesce(excluded.tenant_id, config_history.tenant_id),
        tenant = coalesce(excluded.tenant, config_history.tenant);
  return null;
end $$;

create trigger tenants_history after insert or update or delete on tenants
  for each row execute function sluice_record_history();
create trigger services_history after insert or update or delete on services
  for each row execute function sluice_record_history();
create trigger routes_history after insert or update or delete on routes
  for each row execute function sluice_record_history();
create trigger consumers_history after insert or update or delete on consumers
  for each row execute function sluice_record_history();
create trigger credentials_history after insert or update or delete on credentials
  for each row execute function sluice_record_history();
create trigger plugins_history after insert or update or delete on plugins
  for each row execute function sluice_record_history();
create trigger certificates_history after insert or update or delete on certificates
  for each row execute function sluice_record_history();
create trigger snis_history after insert or update or delete on snis
  for each row execute function sluice_record_history();
