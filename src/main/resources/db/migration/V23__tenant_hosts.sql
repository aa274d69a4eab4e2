-- Host names an operator assigns to a tenant (V23): with names assigned, the tenant's route hosts and SNIs lie
-- equal to or under one of them, no other tenant's lie on or under (or over) them, and its routes on them are
-- not held back by other tenants' routes without hosts (see io.sluice.store.HostAssignments). Empty: none
-- assigned, the names a tenant holds are those of its routes and SNIs, first come, first served (NameClaims).
--
-- A name is a host name or *.domain in lower case (how the admin API and the file store it), never an IP
-- literal. A row written with psql is held to the same (a check_violation naming tenants.hosts[i], as V5's
-- checks do); which tenant holds what is the admin API's and the file's to check, as it is for route hosts. The
-- column changes through the tenants' change log and history like the name (their triggers take every column).
alter table tenants add column hosts text[] not null default '{}';

-- Why a name a tenant is assigned is invalid, or null.
create function sluice_tenant_host_problem(h text) returns text language plpgsql immutable as $$
begin
  if h is null then
    return 'must not be null';
  end if;
  if length(h) > 253 then
    return 'must be at most 253 characters';
  end if;
  if h !~ '^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' then
    return 'must be a host name (example.com) or *.domain, in lower case';
  end if;
  if h ~ '(^|\.)[0-9]+$' then
    return 'must not be an IP address (its last label is all digits)';
  end if;
  return null;
end $$;

create function sluice_check_tenant_hosts(hosts text[]) returns boolean language plpgsql immutable as $$
declare
  i    int := 0;
  h    text;
  why  text;
begin
  if cardinality(hosts) > 100 then
    return sluice_refuse('tenants', 'hosts', 'hosts', 'must hold at most 100 names');
  end if;
  foreach h in array hosts loop
    why := sluice_tenant_host_problem(h);
    if why is not null then
      return sluice_refuse('tenants', 'hosts', format('hosts[%s]', i), format('%s %s', quote_nullable(h), why));
    end if;
    i := i + 1;
  end loop;
  return true;
end $$;

alter table tenants add constraint tenants_hosts_valid check (sluice_check_tenant_hosts(hosts));
