-- Tenancy (issue 13): nothing is tenantless, credentials carry their consumer's tenant, JWT issuers are unique
-- per tenant, admin tokens are rows with a role, and every configuration change records who made it.

-- The default tenant: what a service written without one belongs to (a row inserted with psql that leaves
-- tenant_id out, or a declarative file that names no tenant). Made here, and again on demand if deleted.
-- Made outside the change log: a tenant alone changes nothing a node serves, and a fresh database stays at
-- configuration version 0.
alter table tenants disable trigger tenants_change;
insert into tenants (name) values ('default') on conflict (name) do nothing;
alter table tenants enable trigger tenants_change;

create function sluice_default_tenant() returns uuid language plpgsql as $$
declare
  t uuid;
begin
  select id into t from tenants where name = 'default';
  if t is null then
    insert into tenants (name) values ('default') on conflict (name) do nothing returning id into t;
    if t is null then
      select id into t from tenants where name = 'default';
    end if;
  end if;
  return t;
end $$;

-- A service without a tenant gets the default one (BEFORE triggers run by name: this one before the stamp).
create function sluice_service_tenant() returns trigger language plpgsql as $$
begin
  if new.tenant_id is null then
    new.tenant_id := sluice_default_tenant();
  end if;
  return new;
end $$;

update services set tenant_id = sluice_default_tenant() where tenant_id is null;
alter table services alter column tenant_id set not null;
create trigger services_default_tenant before insert or update on services
  for each row execute function sluice_service_tenant();

-- A credential carries its consumer's tenant (kept by triggers, never written by hand): JWT issuers are unique
-- within a tenant, and the consumer directory looks an issuer up in the tenant of the route.
alter table credentials add column tenant_id uuid references tenants (id) on delete restrict;
update credentials k set tenant_id = c.tenant_id from consumers c where c.id = k.consumer_id;
-- A CHECK rather than NOT NULL: PostgreSQL checks NOT NULL first, and a credential of no consumer should be
-- told about its fields (credentials_fields_of_kind) before its tenant, which follows from the consumer.
alter table credentials add constraint credentials_tenant_of_consumer check (tenant_id is not null);

create function sluice_credential_tenant() returns trigger language plpgsql as $$
begin
  select tenant_id into new.tenant_id from consumers where id = new.consumer_id;
  return new;
end $$;

create trigger credentials_tenant before insert or update on credentials
  for each row execute function sluice_credential_tenant();

-- A consumer moved to another tenant takes its credentials along (their rows change, so caches evict them).
create function sluice_consumer_moved() returns trigger language plpgsql as $$
begin
  update credentials set tenant_id = new.tenant_id where consumer_id = new.id;
  return null;
end $$;

create trigger consumers_moved after update of tenant_id on consumers
  for each row when (old.tenant_id is distinct from new.tenant_id) execute function sluice_consumer_moved();

drop index credentials_jwt_issuer;
create unique index credentials_jwt_issuer on credentials (tenant_id, jwt_issuer) where kind = 'jwt';
create index credentials_tenant on credentials (tenant_id);

-- The consumer cache names a JWT credential by tenant and issuer: a retired issuer keeps its tenant's name.
alter table credential_keys_retired add column tenant text;

create or replace function sluice_retire_credential_keys() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' or new.key_digest is distinct from old.key_digest
     or new.jwt_issuer is distinct from old.jwt_issuer or new.tenant_id is distinct from old.tenant_id then
    insert into credential_keys_retired (version, key_digest, jwt_issuer, tenant)
    values (sluice_config_version_of_tx(), old.key_digest, old.jwt_issuer,
            (select name from tenants where id = old.tenant_id));
  end if;
  return null;
end $$;

-- Who made each change: the admin API sets `sluice.actor` (SET LOCAL, JSON: token id and role) in its write
-- transaction; anything else (psql, a migration) is recorded as {"kind": "sql"}.
alter table change_log add column actor jsonb not null default '{"kind": "sql"}';

create or replace function sluice_record_change() returns trigger language plpgsql as $$
declare
  v      bigint := sluice_config_version_of_tx();
  row_id uuid;
  who    jsonb := coalesce(nullif(current_setting('sluice.actor', true), '')::jsonb, '{"kind": "sql"}');
begin
  if tg_op = 'DELETE' then
    row_id := old.id;
  else
    row_id := new.id;
  end if;
  insert into change_log (version, entity, id, op, actor) values (v, tg_table_name, row_id, lower(tg_op), who)
  on conflict (version, entity, id) do update
    set op = case when excluded.op = 'delete' then 'delete'
                  when change_log.op = 'insert' then 'insert'
                  else 'update' end;
  return null;
end $$;

-- Admin tokens: `operator` (everything) or `tenant` (one tenant's entities). Generated by Sluice and shown
-- once; only the HMAC-SHA-256 digest (under keys.hmac_secret) and a readable prefix are kept. Not
-- configuration (no change log): every node checks a presented token against this table on each request,
-- so a deleted (revoked) token is refused by the next request on any node.
create table admin_tokens (
  id           uuid primary key default gen_random_uuid(),
  role         text not null check (role in ('operator', 'tenant')),
  tenant_id    uuid references tenants (id) on delete cascade,
  token_prefix text not null,
  token_digest bytea not null unique check (length(token_digest) = 32),
  created_at   timestamptz not null default now(),
  last_used_at timestamptz,
  constraint admin_tokens_tenant_of_role check ((role = 'tenant') = (tenant_id is not null))
);
create index admin_tokens_tenant on admin_tokens (tenant_id);
