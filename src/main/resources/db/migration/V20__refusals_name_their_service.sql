-- A service refused because its tls.client_certificate is no certificate of its tenant (V11, V19) says which
-- service in the error's detail (Key (name)=(...), as a unique violation does), so that PUT /config names the
-- file's entry (services[3].tls.client_certificate) rather than a field of no entry. As in V19 otherwise.
create or replace function sluice_service_client_certificate() returns trigger language plpgsql as $$
declare
  wanted uuid;
begin
  if not new.tls ? 'client_certificate' or jsonb_typeof(new.tls -> 'client_certificate') <> 'string'
      or new.tls ->> 'client_certificate' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return new;  -- absent, or refused by services_tls_valid with its own reason
  end if;
  wanted := (new.tls ->> 'client_certificate')::uuid;
  perform 1 from certificates c where c.id = wanted for share;
  if not exists (select 1 from certificates c where c.id = wanted
      and (c.tenant_id = new.tenant_id
           or (c.tenant_id is null and new.tenant_id = (select id from tenants where name = 'default')))) then
    raise exception 'services.tls.client_certificate: no certificate % of the service''s tenant', wanted
      using errcode = 'check_violation', table = 'services', column = 'tls', constraint = 'services_tls_valid',
            detail = format('Key (name)=(%s)', new.name);
  end if;
  return new;
end $$;
