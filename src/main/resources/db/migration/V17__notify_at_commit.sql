-- The configuration notification sent at commit, carrying a small change whole: the sync leader then publishes
-- it without reading the change log (a read on the path of every change, whose tail under proxy traffic was
-- the propagation's). The NOTIFY used to be queued by the transaction's first change, when the transaction's
-- later statements were still to come; it is now sent by a deferred constraint trigger on the version counter,
-- which fires once per transaction just before its commit, when every row of the version is written.
--
-- What it carries: "<version>" alone, or "<version> <json>" where the JSON is what sluice_sync_payload(version)
-- answers: the version's entities as the leader's read would load them. That function is made by the node at
-- start (Migrations, from the same projections as the leader's read, so that the two cannot drift); the one
-- below answers null (the version alone) until then.

create function sluice_sync_payload(v bigint) returns text language sql stable as $$ select null::text $$;

-- Fired at commit (initially deferred): announces the transaction's version. A transaction that makes its
-- deferred triggers fire early (SET CONSTRAINTS ... IMMEDIATE) and then changes the configuration again would
-- announce an incomplete version: sluice_config_version_of_tx refuses that change (below).
create function sluice_config_notify() returns trigger language plpgsql as $$
begin
  perform set_config('sluice.announced', new.version::text, true);
  perform pg_notify('sluice_config', new.version::text || coalesce(' ' || sluice_sync_payload(new.version), ''));
  return null;
end $$;

create constraint trigger config_version_notify after update on config_version
  deferrable initially deferred for each row execute function sluice_config_notify();

-- As in V1, without the NOTIFY (sent at commit now), and refusing a change after the version was announced.
create or replace function sluice_config_version_of_tx() returns bigint language plpgsql as $$
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
    if current_setting('sluice.announced', true) = v::text then
      raise exception 'configuration version % was already announced in this transaction (SET CONSTRAINTS ... IMMEDIATE fired its notification): change the configuration before that, or in a new transaction', v
        using errcode = 'object_not_in_prerequisite_state';
    end if;
    return v;
  end if;
  update config_version set version = version + 1, txid = tx, updated_at = now()
   where id = 1 returning version into v;
  return v;
end $$;
