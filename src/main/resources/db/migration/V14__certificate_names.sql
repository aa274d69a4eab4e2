-- Certificates get a name (issue 14): the declarative file names every entity it carries, and a certificate
-- had only an id (a fingerprint changes with every renewal). Unique across tenants, like a service's name. A
-- certificate written without one (the admin API before names, psql) is named cert- and the start of its id,
-- and an update that leaves the name out keeps it.
alter table certificates add column name text check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$');
-- The backfill is no configuration change (nodes do not serve by name): made outside the change log and history,
-- as V6 made the default tenant.
alter table certificates disable trigger user;
update certificates set name = 'cert-' || left(replace(id::text, '-', ''), 12) where name is null;
alter table certificates enable trigger user;
alter table certificates alter column name set not null;
alter table certificates add constraint certificates_name_key unique (name);

create function sluice_certificate_name() returns trigger language plpgsql as $$
begin
  if new.name is null then
    new.name := case when tg_op = 'UPDATE' then old.name else 'cert-' || left(replace(new.id::text, '-', ''), 12) end;
  end if;
  return new;
end $$;

create trigger certificates_name before insert or update on certificates
  for each row execute function sluice_certificate_name();
