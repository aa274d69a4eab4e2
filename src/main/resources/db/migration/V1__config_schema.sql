-- Sluice configuration: PostgreSQL is the truth. Triggers, not the application, stamp row versions,
-- bump the global configuration version, write the change log and NOTIFY, so that a row changed with
-- psql is recorded exactly like one changed through the admin API.

-- The one global configuration version. Its single row is updated by the first configuration change of
-- every transaction; the row lock is held until commit, so configuration writers are serialized and
-- version order is commit order (a sequence is not: its values commit out of order). A rolled-back
-- transaction rolls its bump back too, so versions are dense: no gaps, every version has change-log rows.
-- txid remembers the transaction that bumped last, so that one transaction bumps exactly once.
create table config_version (
  id         int primary key check (id = 1),
  version    bigint not null check (version >= 0),
  txid       bigint not null,
  updated_at timestamptz not null default now()
);
insert into config_version (id, version, txid) values (1, 0, 0);

-- One row per entity row changed, with the version of the transaction that changed it. A row changed
-- several times in one transaction keeps one entry, whose op says what the transaction did overall.
-- entity is the table name (tenants, services, routes, consumers, credentials, plugins).
create table change_log (
  version bigint not null,
  entity  text not null,
  id      uuid not null,
  op      text not null check (op in ('insert', 'update', 'delete')),
  at      timestamptz not null default now(),
  primary key (version, entity, id)
);

create table tenants (
  id         uuid primary key default gen_random_uuid(),
  name       text not null unique check (length(name) between 1 and 128),
  version    bigint not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- An upstream service: the columns of a service in the declarative file. Nested settings are jsonb
-- objects in the declarative shape; a key left out takes the schema's default when the snapshot is read.
-- seq is the creation order, which is the order of an export (and of the route table's last tie-break).
create table services (
  id              uuid primary key default gen_random_uuid(),
  seq             bigint generated always as identity,
  name            text not null unique check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  tenant_id       uuid references tenants (id) on delete restrict,
  path            text not null default '/' check (path like '/%'),
  targets         jsonb not null check (jsonb_typeof(targets) = 'array' and jsonb_array_length(targets) > 0),
  load_balancing  jsonb not null default '{}' check (jsonb_typeof(load_balancing) = 'object'),
  retries         int not null default 2 check (retries between 0 and 10),
  retry_backoff   jsonb not null default '{}' check (jsonb_typeof(retry_backoff) = 'object'),
  timeouts        jsonb not null default '{}' check (jsonb_typeof(timeouts) = 'object'),
  circuit_breaker jsonb not null default '{}' check (jsonb_typeof(circuit_breaker) = 'object'),
  version         bigint not null default 1,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create index services_tenant on services (tenant_id);

create table routes (
  id            uuid primary key default gen_random_uuid(),
  seq           bigint generated always as identity,
  name          text not null unique check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  service_id    uuid not null references services (id) on delete restrict,
  hosts         text[] not null default '{}',
  paths         text[] not null default '{/}' check (cardinality(paths) > 0),
  methods       text[] not null default '{}',
  headers       jsonb not null default '{}' check (jsonb_typeof(headers) = 'object'),
  strip_path    boolean not null default false,
  preserve_host boolean not null default false,
  priority      int not null default 0 check (priority between -1000000 and 1000000),
  version       bigint not null default 1,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create index routes_service on routes (service_id);

create table consumers (
  id         uuid primary key default gen_random_uuid(),
  tenant_id  uuid not null references tenants (id) on delete restrict,
  username   text not null check (length(username) between 1 and 128),
  custom_id  text check (length(custom_id) between 1 and 256),
  version    bigint not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, username),
  unique (tenant_id, custom_id)
);

-- What authenticates a consumer. An API key is never stored: only its HMAC-SHA-256 digest (32 bytes,
-- keyed by a secret outside the database; lookups go by digest) and a short readable prefix to tell keys
-- apart in lists. A JWT credential names the issuer it accepts and the public key that verifies its
-- signatures; only asymmetric algorithms, so that no shared secret is stored either.
create table credentials (
  id             uuid primary key default gen_random_uuid(),
  consumer_id    uuid not null references consumers (id) on delete restrict,
  kind           text not null check (kind in ('api-key', 'jwt')),
  key_prefix     text check (length(key_prefix) between 1 and 16),
  key_digest     bytea unique check (length(key_digest) = 32),
  jwt_issuer     text check (length(jwt_issuer) between 1 and 1024),
  jwt_algorithm  text check (jwt_algorithm in ('RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
                                               'ES256', 'ES384', 'ES512', 'EdDSA')),
  jwt_public_key text,
  version        bigint not null default 1,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  constraint credentials_fields_of_kind check (
    (kind = 'api-key' and key_prefix is not null and key_digest is not null
       and jwt_issuer is null and jwt_algorithm is null and jwt_public_key is null)
    or (kind = 'jwt' and jwt_issuer is not null and jwt_algorithm is not null and jwt_public_key is not null
       and key_prefix is null and key_digest is null))
);
create index credentials_consumer on credentials (consumer_id);
create unique index credentials_jwt_issuer on credentials (jwt_issuer) where kind = 'jwt';

-- A policy instance: which policy (name), where it applies (scope, with exactly the one reference its
-- scope needs), its configuration as JSON (validated against the policy's schema when written), on or off.
create table plugins (
  id          uuid primary key default gen_random_uuid(),
  name        text not null check (name ~ '^[a-z][a-z0-9-]{0,63}$'),
  scope       text not null check (scope in ('global', 'service', 'route', 'consumer')),
  service_id  uuid references services (id) on delete restrict,
  route_id    uuid references routes (id) on delete restrict,
  consumer_id uuid references consumers (id) on delete restrict,
  config      jsonb not null default '{}' check (jsonb_typeof(config) = 'object'),
  enabled     boolean not null default true,
  version     bigint not null default 1,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint plugins_reference_of_scope check (
    (scope = 'global' and service_id is null and route_id is null and consumer_id is null)
    or (scope = 'service' and service_id is not null and route_id is null and consumer_id is null)
    or (scope = 'route' and route_id is not null and service_id is null and consumer_id is null)
    or (scope = 'consumer' and consumer_id is not null and service_id is null and route_id is null))
);
-- One instance of a policy per scope target (one rate limit on a route, one global CORS, ...).
create unique index plugins_one_per_target on plugins
  (name, scope, coalesce(service_id, route_id, consumer_id, '00000000-0000-0000-0000-000000000000'));
create index plugins_service on plugins (service_id) where service_id is not null;
create index plugins_route on plugins (route_id) where route_id is not null;
create index plugins_consumer on plugins (consumer_id) where consumer_id is not null;

-- The version of the current transaction: bumped (and the notification queued) by its first
-- configuration change, returned unchanged after that. The UPDATE takes the counter's row lock until
-- commit; a concurrent writer waits for it and then bumps the committed value. NOTIFY is delivered only
-- on commit and carries only the version: it is a doorbell, the change log is the truth.
create function sluice_config_version_of_tx() returns bigint language plpgsql as $$
declare
  tx bigint := txid_current();
  v  bigint;
  t  bigint;
begin
  select version, txid into v, t from config_version where id = 1;
  if not found then
    raise exception 'config_version has no row: the configuration schema is damaged';
  end if;
  if t = tx then
    return v;
  end if;
  update config_version set version = version + 1, txid = tx, updated_at = now()
   where id = 1 returning version into v;
  perform pg_notify('sluice_config', v::text);
  return v;
end $$;

-- BEFORE INSERT OR UPDATE on every configuration table: a new row is version 1, an update bumps the
-- row's own version (what If-Match compares), updated_at follows, ids never change.
create function sluice_stamp_row() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    new.version := 1;
    new.created_at := now();
  else
    if new.id is distinct from old.id then
      raise exception '%.id cannot change (% to %)', tg_table_name, old.id, new.id
        using errcode = 'check_violation';
    end if;
    new.version := old.version + 1;
    new.created_at := old.created_at;
  end if;
  new.updated_at := now();
  return new;
end $$;

-- AFTER INSERT, UPDATE OR DELETE on every configuration table: one change-log entry per changed row,
-- under the transaction's version. A second change of the same row in the same transaction folds into
-- the first entry (insert then update is an insert, anything then delete is a delete).
create function sluice_record_change() returns trigger language plpgsql as $$
declare
  v      bigint := sluice_config_version_of_tx();
  row_id uuid;
begin
  if tg_op = 'DELETE' then
    row_id := old.id;
  else
    row_id := new.id;
  end if;
  insert into change_log (version, entity, id, op) values (v, tg_table_name, row_id, lower(tg_op))
  on conflict (version, entity, id) do update
    set op = case when excluded.op = 'delete' then 'delete'
                  when change_log.op = 'insert' then 'insert'
                  else 'update' end;
  return null;
end $$;

-- TRUNCATE fires no row triggers, so it would change configuration without a trace: refuse it.
create function sluice_refuse_truncate() returns trigger language plpgsql as $$
begin
  raise exception 'TRUNCATE % is not recorded in the change log: use DELETE', tg_table_name
    using errcode = 'feature_not_supported';
end $$;

create trigger tenants_stamp before insert or update on tenants
  for each row execute function sluice_stamp_row();
create trigger tenants_change after insert or update or delete on tenants
  for each row execute function sluice_record_change();
create trigger tenants_no_truncate before truncate on tenants
  for each statement execute function sluice_refuse_truncate();

create trigger services_stamp before insert or update on services
  for each row execute function sluice_stamp_row();
create trigger services_change after insert or update or delete on services
  for each row execute function sluice_record_change();
create trigger services_no_truncate before truncate on services
  for each statement execute function sluice_refuse_truncate();

create trigger routes_stamp before insert or update on routes
  for each row execute function sluice_stamp_row();
create trigger routes_change after insert or update or delete on routes
  for each row execute function sluice_record_change();
create trigger routes_no_truncate before truncate on routes
  for each statement execute function sluice_refuse_truncate();

create trigger consumers_stamp before insert or update on consumers
  for each row execute function sluice_stamp_row();
create trigger consumers_change after insert or update or delete on consumers
  for each row execute function sluice_record_change();
create trigger consumers_no_truncate before truncate on consumers
  for each statement execute function sluice_refuse_truncate();

create trigger credentials_stamp before insert or update on credentials
  for each row execute function sluice_stamp_row();
create trigger credentials_change after insert or update or delete on credentials
  for each row execute function sluice_record_change();
create trigger credentials_no_truncate before truncate on credentials
  for each statement execute function sluice_refuse_truncate();

create trigger plugins_stamp before insert or update on plugins
  for each row execute function sluice_stamp_row();
create trigger plugins_change after insert or update or delete on plugins
  for each row execute function sluice_record_change();
create trigger plugins_no_truncate before truncate on plugins
  for each statement execute function sluice_refuse_truncate();
