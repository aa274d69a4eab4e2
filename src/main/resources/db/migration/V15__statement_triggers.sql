-- The change log and the configuration history written once per statement instead of once per row: a SQL
-- import of many rows (a migration from another gateway, `insert ... select`) paid two row triggers per row,
-- each a plpgsql call with its own INSERT (about 250 us per row together); a statement trigger reads the
-- statement's rows from its transition table and writes their entries in one INSERT. What is recorded is
-- unchanged: one entry per changed row under the transaction's version, folded across the statements of the
-- transaction as before (insert then update is an insert, anything then delete is a delete; the history keeps
-- the first before image and the last after image).
--
-- PostgreSQL allows transition tables only on triggers of one event, hence three triggers per table and
-- function. A statement that changes no row writes nothing and takes no version (row triggers never fired
-- for it either).

-- AFTER INSERT, UPDATE or DELETE ... FOR EACH STATEMENT, with the transition tables `new_rows` (insert,
-- update) and `old_rows` (update, delete).
create function sluice_record_changes() returns trigger language plpgsql as $$
declare
  rows_of text := case tg_op when 'DELETE' then 'old_rows' else 'new_rows' end;
  any_row boolean;
begin
  execute format('select exists (select 1 from %I)', rows_of) into any_row;
  if not any_row then
    return null;
  end if;
  execute format($q$
    insert into change_log (version, entity, id, op, actor)
    select $1, $2, r.id, $3, $4 from %I r
    on conflict (version, entity, id) do update
      set op = case when excluded.op = 'delete' then 'delete'
                    when change_log.op = 'insert' then 'insert'
                    else 'update' end
    $q$, rows_of)
  using sluice_config_version_of_tx(), tg_table_name, lower(tg_op),
        coalesce(nullif(current_setting('sluice.actor', true), '')::jsonb, '{"kind": "sql"}');
  return null;
end $$;

-- The same for the history: the before and after images (secrets redacted by sluice_history_image, as the row
-- trigger did), the entity's name and tenant.
create function sluice_record_histories() returns trigger language plpgsql as $$
declare
  who     jsonb := coalesce(nullif(current_setting('sluice.actor', true), '')::jsonb, '{"kind": "sql"}');
  src     text := coalesce(who ->> 'source', case when who ->> 'kind' = 'sql' then 'sql' else 'admin' end);
  rows_of text := case tg_op when 'DELETE' then 'old_rows' else 'new_rows' end;
  -- The columns sluice_history_image needs besides the image: a credential's key digest and sealed JWT
  -- secret, a certificate's sealed key.
  secrets text := case tg_table_name
                    when 'credentials' then '%1$s.key_digest, %1$s.jwt_secret_enc'
                    when 'certificates' then 'null::bytea, %1$s.key_enc'
                    else 'null::bytea, null::bytea' end;
  images  text;
  any_row boolean;
begin
  execute format('select exists (select 1 from %I)', rows_of) into any_row;
  if not any_row then
    return null;
  end if;
  images := case tg_op
    when 'INSERT' then format('select null::jsonb rb, null::bytea bd, null::bytea bs, to_jsonb(n) ra, '
                              || format(secrets, 'n') || ' from new_rows n')
    when 'DELETE' then format('select to_jsonb(o) rb, ' || format(secrets, 'o')
                              || ', null::jsonb ra, null::bytea ad, null::bytea as_ from old_rows o')
    -- ids never change (sluice_stamp_row refuses it), so an update's old and new rows pair by id.
    else format('select to_jsonb(o) rb, ' || format(secrets, 'o') || ', to_jsonb(n) ra, '
                || format(secrets, 'n') || ' from old_rows o join new_rows n on n.id = o.id')
  end;
  -- offset 0 keeps the subqueries as they are: flattened, each image would be computed once per use.
  execute format($q$
    insert into config_history (version, entity, id, op, name, tenant_id, tenant, before, after, actor, source)
    select $1, $2, (img ->> 'id')::uuid, $3, sluice_history_name($2, img), tid,
           case when $2 = 'tenants' then img ->> 'name' else (select name from tenants where id = tid) end,
           b, a, $4, $5
      from (select b, a, coalesce(a, b) img, sluice_history_tenant($2, coalesce(a, b)) tid
              from (select sluice_history_image($2, rb, bd, bs) b, sluice_history_image($2, ra, ad, as_) a
                      from (%s) s (rb, bd, bs, ra, ad, as_) offset 0) i offset 0) x
    on conflict (version, entity, id) do update
      set op = case when excluded.op = 'delete' then 'delete'
                    when config_history.op = 'insert' then 'insert'
                    else 'update' end,
          after = excluded.after,
          name = coalesce(excluded.name, config_history.name),
          tenant_id = coalesce(excluded.tenant_id, config_history.tenant_id),
          tenant = coalesce(excluded.tenant, config_history.tenant)
    $q$, images)
  using sluice_config_version_of_tx(), tg_table_name, lower(tg_op), who, src;
  return null;
end $$;

do $$
declare
  t text;
begin
  foreach t in array array['tenants', 'services', 'routes', 'consumers', 'credentials', 'plugins',
                           'certificates', 'snis'] loop
    execute format('drop trigger %I on %I', t || '_change', t);
    execute format('drop trigger %I on %I', t || '_history', t);
    execute format('create trigger %I after insert on %I referencing new table as new_rows'
                   ' for each statement execute function sluice_record_changes()', t || '_change', t);
    execute format('create trigger %I after update on %I referencing old table as old_rows new table as new_rows'
                   ' for each statement execute function sluice_record_changes()', t || '_change_update', t);
    execute format('create trigger %I after delete on %I referencing old table as old_rows'
                   ' for each statement execute function sluice_record_changes()', t || '_change_delete', t);
    execute format('create trigger %I after insert on %I referencing new table as new_rows'
                   ' for each statement execute function sluice_record_histories()', t || '_history', t);
    execute format('create trigger %I after update on %I referencing old table as old_rows new table as new_rows'
                   ' for each statement execute function sluice_record_histories()', t || '_history_update', t);
    execute format('create trigger %I after delete on %I referencing old table as old_rows'
                   ' for each statement execute function sluice_record_histories()', t || '_history_delete', t);
  end loop;
end $$;

drop function sluice_record_change();
drop function sluice_record_history();
