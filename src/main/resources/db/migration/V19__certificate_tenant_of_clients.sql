-- A certificate a service names as tls.client_certificate must be of the service's tenant (V11: a certificate of
-- no tenant only for services of the default tenant). V11 checks the service's writes; this checks the other
-- side, a certificate's change of tenant, which used to be accepted while a service of the old tenant named it
-- (that service then presented another tenant's certificate, and could no longer be written itself).
--
-- Checked at commit (a deferred constraint trigger), on the state then: a transaction that moves a certificate
-- and points its services elsewhere, or moves them along, in any order (PUT /config moves certificates before
-- it writes services) is accepted. Refused as a foreign-key violation ("still in use"), with the field and its
-- reason in the message as sluice_refuse words them, and the certificate's name in the detail.
create function sluice_certificate_tenant_of_clients() returns trigger language plpgsql as $$
declare
  cert record;
  users text[];
  total bigint;
begin
  select c.id, c.name, c.tenant_id into cert from certificates c where c.id = new.id;
  if not found then
    return null;  -- deleted later in the transaction (certificates_client_of_services checked that)
  end if;
  select (array_agg(s.name order by s.name))[1:10], count(*) into users, total from services s
   where s.tls ->> 'client_certificate' = cert.id::text
     and s.tenant_id is distinct from coalesce(cert.tenant_id, (select id from tenants where name = 'default'));
  if total > 0 then
    raise exception 'certificates.tenant: is the tls.client_certificate of % service(s) of another tenant (%): a service''s client certificate must be of its tenant; point them at another certificate first',
      total, array_to_string(users, ', ') || case when total > 10 then ', ...' else '' end
      using errcode = 'foreign_key_violation', table = 'certificates', column = 'tenant_id',
            detail = format('Key (name)=(%s)', cert.name);
  end if;
  return null;
end $$;

create constraint trigger certificates_tenant_of_clients after update of tenant_id on certificates
  deferrable initially deferred for each row
  when (new.tenant_id is distinct from old.tenant_id)
  execute function sluice_certificate_tenant_of_clients();

-- As in V11, the certificate now read FOR SHARE: a service written while another transaction moves its
-- certificate waits for that one and checks the tenant it committed (and the move, checked at its commit, sees
-- the service once it is written).
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
    perform sluice_refuse('services', 'tls', 'tls.client_certificate',
      format('no certificate %s of the service''s tenant', wanted));
  end if;
  return new;
end $$;
