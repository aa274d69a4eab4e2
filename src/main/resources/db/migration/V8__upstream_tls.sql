-- Upstream targets may name their protocol (https://, h2:// for TLS with ALPN h2, h2c:// for HTTP/2 with prior
-- knowledge; http:// or none for HTTP/1.1), and a service carries the TLS settings of its targets.
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
      return sluice_refuse('services', 'targets', format('targets[%s].address', i), 'is required ([scheme://]host:port)');
    end if;
    address := t ->> 'address';
    if address !~ '^((https?|h2c?)://)?[^\s:/]+:[0-9]{1,5}$' then
      return sluice_refuse('services', 'targets', format('targets[%s].address', i),
        format('%s must be host:port, or scheme://host:port with scheme http, https, h2 or h2c',
          quote_literal(address)));
    end if;
    port := substring(address from ':([0-9]{1,5})$')::int;
    if port < 1 or port > 65535 then
      return sluice_refuse('services', 'targets', format('targets[%s].address', i), 'port must be 1 to 65535');
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

alter table services add column tls jsonb not null default '{}';

create function sluice_check_service_tls(tls jsonb) returns boolean language plpgsql immutable as $$
declare
  k text;
begin
  if jsonb_typeof(tls) <> 'object' then
    return sluice_refuse('services', 'tls', 'tls', 'must be an object');
  end if;
  for k in select jsonb_object_keys(tls) loop
    if k not in ('verify', 'ca_bundle') then
      return sluice_refuse('services', 'tls', 'tls.' || k, 'unknown key');
    end if;
  end loop;
  if tls ? 'verify' and jsonb_typeof(tls -> 'verify') <> 'boolean' then
    return sluice_refuse('services', 'tls', 'tls.verify', 'must be true or false');
  end if;
  if tls ? 'ca_bundle' and (jsonb_typeof(tls -> 'ca_bundle') <> 'string'
      or position('-----BEGIN CERTIFICATE-----' in tls ->> 'ca_bundle') = 0) then
    return sluice_refuse('services', 'tls', 'tls.ca_bundle', 'must be PEM certificates');
  end if;
  return true;
end $$;

alter table services add constraint services_tls_valid check (sluice_check_service_tls(tls));
