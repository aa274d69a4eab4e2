-- mTLS to upstreams (issue 12): a service's tls may name a certificate (tls.client_certificate, its id) whose
-- chain and key the nodes present to targets that ask for a client certificate. The certificate must be of the
-- service's tenant (a certificate of no tenant, the operator's, only for services of the default tenant), and
-- cannot be deleted while a service names it (like a certificate an SNI names).
create or replace function sluice_check_service_tls(tls jsonb) returns boolean language plpgsql immutable as $$
declare
  k text;
begin
  if jsonb_typeof(tls) <> 'object' then
    return sluice_refuse('services', 'tls', 'tls', 'must be an object');
  end if;
  for k in select jsonb_object_keys(tls) loop
    if k not in ('verify', 'ca_bundle', 'client_certificate') then
      return sluice_refuse('services', 'tls', 'tls.' || k, 'unknown key');
    end if;
  end loop;
  if tls ? 'verify' and jsonb_typeof(tls -> 'verify') <> 'boolean' then
    return sluice_refuse('services', 'tls', 'tls.verify', 'must be true or false');
  end if;
  if tls ? 'ca_bundle' and (jsonb_typeof(tls -> 'ca_bundle') <> 'string'
      or position('-----BEGIN CERTIFICATE-----' in tls ->> 'ca_bundle') = 0) then
    return sluice_refuse('services', 'tls', 'tls.ca_bundle', 'must be PEM certificates');
  end if;
  if tls ? 'client_certificate' and (jsonb_typeof(tls -> 'client_certificate') <> 'string'
      or tls ->> 'client_certificate' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') then
    return sluice_refuse('services', 'tls', 'tls.client_certificate', 'must be the id of a certificate');
  end if;
  return true;
end $$;

-- Runs after services_default_tenant (BEFORE triggers run by name), so the service's tenant is known.
create function sluice_service_client_certificate() returns trigger language plpgsql as $$
declare
  wanted uuid;
begin
  if not new.tls ? 'client_certificate' or jsonb_typeof(new.tls -> 'client_certificate') <> 'string'
      or new.tls ->> 'client_certificate' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return new;  -- absent, or refused by services_tls_valid with its own reason
  end if;
  wanted := (new.tls ->> 'client_certificate')::uuid;
  if not exists (select 1 from certificates c where c.id = wanted
      and (c.tenant_id = new.tenant_id
           or (c.tenant_id is null and new.tenant_id = (select id from tenants where name = 'default')))) then
    perform sluice_refuse('services', 'tls', 'tls.client_certificate',
      format('no certificate %s of the service''s tenant', wanted));
  end if;
  return new;
end $$;

create trigger services_tls_client_certificate before insert or update on services
  for each row execute function sluice_service_client_certificate();

create function sluice_certificate_client_of() returns trigger language plpgsql as $$
begin
  if exists (select 1 from services s where s.tls ->> 'client_certificate' = old.id::text) then
    raise exception 'update or delete on table "certificates" violates the tls.client_certificate of table "services"'
      using errcode = 'foreign_key_violation', table = 'services';
  end if;
  return old;
end $$;

create trigger certificates_client_of_services before delete on certificates
  for each row execute function sluice_certificate_client_of();
