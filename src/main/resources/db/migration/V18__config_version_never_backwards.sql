-- The configuration version only moves forward. Nodes follow it in order and count a version as applied when
-- theirs is at least as high: a counter set back (update config_version set version = 100 while nodes serve
-- 429) made every later change look applied to ?wait=true and /cluster/sync while no node ever read it (found
-- by an outside tester). The only legitimate writer is sluice_config_version_of_tx (version + 1); change-log
-- pruning and the full reloads never write the counter. Deleting the row is refused for the same reason (a new
-- row could start lower); a restore from an older backup is caught by the nodes instead (docs/cluster.md).
create function sluice_config_version_forward() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'config_version cannot be deleted: nodes follow its version in order'
      using errcode = 'check_violation';
  end if;
  if new.version < old.version then
    raise exception 'config_version.version: cannot go backwards (from % to %): nodes that applied % would count later versions as applied without reading them',
      old.version, new.version, old.version
      using errcode = 'check_violation';
  end if;
  return new;
end $$;

create trigger config_version_forward before update or delete on config_version
  for each row execute function sluice_config_version_forward();
