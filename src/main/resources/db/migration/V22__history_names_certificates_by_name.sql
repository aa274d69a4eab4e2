-- The history lists a certificate under its name, as every other entity (and as the admin API and a declarative
-- file name it), no longer under its subject: since V14 a certificate has a name, and two certificates may share a
-- subject (a renewal, or one per tenant). A row whose image has no name (written before V14) keeps its subject.
create or replace function sluice_history_name(entity text, r jsonb) returns text language sql immutable as $$
  select case entity
    when 'consumers' then r ->> 'username'
    when 'credentials' then coalesce(r ->> 'key_prefix', r ->> 'jwt_issuer')
    when 'plugins' then (r ->> 'name') || ' (' || (r ->> 'scope') || ')'
    when 'certificates' then coalesce(r ->> 'name', r ->> 'subject')
    else r ->> 'name'
  end
$$;

-- The entries already written: the readable name only (the images are the record and stay as they were).
update config_history set name = coalesce(after ->> 'name', before ->> 'name')
 where entity = 'certificates' and coalesce(after ->> 'name', before ->> 'name') is not null;
