-- IPv6 literal targets: [::1]:8080 (the address in brackets, RFC 3986 3.2.2) besides host:port. V12's target
-- check with that form accepted; the node checks the address itself is IPv6 (a row written with psql included).
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
      return sluice_refuse('services', 'targets', format('targets[%s].address', i), 'is required ([scheme://]host:port, srv://name or k8s://service.namespace:port)');
    end if;
    address := t ->> 'address';
    if address ~ '^srv://[A-Za-z0-9_.-]+$' then
      null;
    elsif address ~ '^k8s://' then
      if address !~ '^k8s://[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}:([0-9]{1,5}|[a-z0-9-]*[a-z][a-z0-9-]*)$' then
        return sluice_refuse('services', 'targets', format('targets[%s].address', i),
          format('%s must be k8s://service.namespace:port (port a number or a port name)', quote_literal(address)));
      end if;
      port := coalesce(substring(address from ':([0-9]{1,5})$')::int, 1);
      if port < 1 or port > 65535 then
        return sluice_refuse('services', 'targets', format('targets[%s].address', i), 'port must be 1 to 65535');
      end if;
    elsif address !~ '^((https?|h2c?)://)?([^\s:/\[\]]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$' then
      return sluice_refuse('services', 'targets', format('targets[%s].address', i),
        format('%s must be host:port ([::1]:port for an IPv6 address), scheme://host:port with scheme http, https, h2 or h2c, srv://name or k8s://service.namespace:port',
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
