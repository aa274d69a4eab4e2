-- Upstreams (issue 16): a service's active health check (null: none), checked like the other service
-- settings (V5: a check_violation naming services.health_check.<key>), and a target address that may name
-- DNS SRV records (srv://name) besides host:port.

alter table services add column health_check jsonb
  check (health_check is null or jsonb_typeof(health_check) = 'object');

create function sluice_check_health_check(hc jsonb) returns boolean language plpgsql immutable as $$
declare
  k text;
begin
  if hc is null then
    return true;
  end if;
  for k in select jsonb_object_keys(hc) loop
    if k not in ('type', 'path', 'host', 'interval_ms', 'timeout_ms', 'healthy_threshold', 'unhealthy_threshold',
                 'expected_statuses', 'slow_start_ms') then
      return sluice_refuse('services', 'health_check', 'health_check.' || k, 'unknown key');
    end if;
  end loop;
  if hc ? 'type' and (jsonb_typeof(hc -> 'type') <> 'string' or hc ->> 'type' not in ('http', 'tcp')) then
    return sluice_refuse('services', 'health_check', 'health_check.type', 'must be http or tcp');
  end if;
  if hc ? 'path' and (jsonb_typeof(hc -> 'path') <> 'string' or hc ->> 'path' !~ '^/\S*$') then
    return sluice_refuse('services', 'health_check', 'health_check.path', 'must be a path starting with /');
  end if;
  if hc ? 'host' and (jsonb_typeof(hc -> 'host') <> 'string' or hc ->> 'host' !~ '^[^\s/]+$') then
    return sluice_refuse('services', 'health_check', 'health_check.host', 'must be a host name');
  end if;
  if hc ? 'expected_statuses' and (jsonb_typeof(hc -> 'expected_statuses') <> 'array'
      or exists (select 1 from jsonb_array_elements(hc -> 'expected_statuses') e
                  where not sluice_is_integer_in(e, 100, 599))) then
    return sluice_refuse('services', 'health_check', 'health_check.expected_statuses',
      'must be an array of statuses from 100 to 599');
  end if;
  perform sluice_check_integers('health_check', hc - 'type' - 'path' - 'host' - 'expected_statuses',
    '{"interval_ms": [100, 3600000], "timeout_ms": [1, 600000], "healthy_threshold": [1, 100],
      "unhealthy_threshold": [1, 100], "slow_start_ms": [0, 3600000]}');
  return true;
end $$;

alter table services add constraint services_health_check_valid check (sluice_check_health_check(health_check));

-- V8's target check, with srv://name (SRV records give the ports) accepted besides [scheme://]host:port.
create or replace function sluice_check_targets(targets jsonb) returns boolean language plpgsql immutable as $$
declare
  i        int := 0;
  t        jsonb;
  k        text;
  address  text;
  port     int;
  positive boolean := false;
begin
  if jsonb_array_length(targets) > 1000 then
    return sluice_refuse('services', 'targets', 'targets', 'must hold at most 1000 targets');
  end if;
  for t in select * from jsonb_array_elements(targets) loop
    if jsonb_typeof(t) <> 'object' then
      return sluice_refuse('services', 'targets', format('targets[%s]', i), 'must be an object');
    end if;
    for k in select jsonb_object_keys(t) loop
      if k not in ('address', 'weight') then
        return sluice_refuse('services', 'targets', format('targets[%s].%s', i, k), 'unknown key');
      end if;
    end loop;
    if jsonb_typeof(t -> 'address') is distinct from 'string' then
      return sluice_refuse('services', 'targets', format('targets[%s].address', i), 'is required ([scheme://]host:port or srv://name)');
    end if;
    address := t ->> 'address';
    if address ~ '^srv://[A-Za-z0-9_.-]+$' then
      null;
    elsif address !~ '^((https?|h2c?)://)?[^\s:/]+:[0-9]{1,5}$' then
      return sluice_refuse('services', 'targets', format('targets[%s].address', i),
        format('%s must be host:port, scheme://host:port with scheme http, https, h2 or h2c, or srv://name',
          quote_literal(address)));
    else
      port := substring(address from ':([0-9]{1,5})$')::int;
      if port < 1 or port > 65535 then
        return sluice_refuse('services', 'targets', format('targets[%s].address', i), 'port must be 1 to 65535');
      end if;
    end if;
    if not t ? 'weight' then
      positive := true;  -- the default weight, 100
    elsif not sluice_is_integer_in(t -> 'weight', 0, 1000) then
      return sluice_refuse('services', 'targets', format('targets[%s].weight', i),
        'must be an integer from 0 to 1000');
    elsif (t ->> 'weight')::numeric > 0 then
      positive := true;
    end if;
    i := i + 1;
  end loop;
  if not positive then
    return sluice_refuse('services', 'targets', 'targets', 'at least one target needs a weight above 0');
  end if;
  return true;
end $$;
