-- Tenant names (V21): in Unicode NFKC form, without leading or trailing white space, and unique whatever their
-- case, so that 'beta', 'Beta', 'beta ' and a full-width 'ｂｅｔａ' cannot name four tenants. The admin API and
-- the declarative file refuse such names with 400 naming the field; these rules hold rows written with psql
-- to the same (a check, 23514; the index, 23505).
--
-- A database that already holds names breaking them still migrates, and no tenant is renamed: a tenant's name is
-- how files, tokens and scripts name it, and a rename behind the operator's back would make a file written for
-- one tenant create another (or apply to a third), which is worse than the duplicates themselves.
-- - The form is a NOT VALID check: old rows keep their names and are reached as before; every insert and every
--   rename is checked.
-- - Of names that already collide whatever their case, the oldest of each group (by creation, then id) is in the
--   unique index, the others are left out of it by id and listed in a warning: they keep working, no new name
--   can join their group (the oldest is indexed), and renaming them (PATCH /tenants/{id}) is how to clear them.
--   A trigger checks every insert and rename against every name, theirs included, so that one of them renamed
--   cannot collide unseen (the index alone holds concurrent writers apart).
do $$
declare
  younger uuid[];
  names   text;
begin
  if current_setting('server_encoding') = 'UTF8' then
    execute 'alter table tenants add constraint tenants_name_form'
      || ' check (name is nfkc normalized and name !~ ''^\s|\s$'') not valid';
  else
    -- IS NFKC NORMALIZED needs a UTF8 database; the admin API and the files check the form whatever the encoding.
    execute 'alter table tenants add constraint tenants_name_form check (name !~ ''^\s|\s$'') not valid';
  end if;
  select coalesce(array_agg(t.id order by t.id), '{}'), string_agg(quote_literal(t.name), ', ' order by t.name)
    into younger, names
    from tenants t
   where exists (select 1 from tenants o where lower(o.name) = lower(t.name)
                   and (o.created_at, o.id) < (t.created_at, t.id));
  if cardinality(younger) = 0 then
    create unique index tenants_name_any_case on tenants (lower(name));
  else
    raise warning 'tenants %: each name differs from an older tenant''s only by case; they keep their names (no'
      ' new name can join them; rename them to clear this)', names;
    execute format('create unique index tenants_name_any_case on tenants (lower(name)) where id <> all (%L::uuid[])',
                   younger);
  end if;
end $$;

create function sluice_tenant_name_any_case() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and new.name = old.name then
    return new;
  end if;
  if exists (select 1 from tenants t where lower(t.name) = lower(new.name) and t.id <> new.id) then
    raise exception 'tenants.name: ''%'' differs from another tenant''s name only by case', new.name
      using errcode = 'unique_violation', table = 'tenants', column = 'name';
  end if;
  return new;
end $$;

create trigger tenants_name_any_case before insert or update of name on tenants
  for each row execute function sluice_tenant_name_any_case();
