-- PostgreSQL refuses what it can check of the declarative schema (schema/declarative.json), so that a row
-- written with psql cannot break what a node builds from it: route paths, hosts, methods and headers;
-- service targets (host:port, port 1 to 65535, weights), load balancing, retry backoff, timeouts and
-- circuit breaker. Names, retries, priority and a service's path were already checked by V1.
--
-- Each refusal is a check_violation (23514) whose message is "<table>.<field>: <reason>" and whose COLUMN
-- and CONSTRAINT fields name the column and the constraint (<table>_<column>_valid), so that psql shows
-- what is wrong and the admin API answers 400 with the field.
--
-- Not checked here, because PostgreSQL cannot tell: a ~regex path (Java compiles it, PostgreSQL's regex
-- dialect differs), a plugin's configuration (its policy's JSON Schema) and its policy name. A node that
-- meets such a row leaves it (and what depends on it) out of its route table and reports it (/cluster,
-- /health/ready, sluice_config_rejected_entities).
--
-- Rows that already break a new constraint: each constraint is added NOT VALID (new and updated rows are
-- checked) and then validated; a constraint that existing rows break stays NOT VALID, with a WARNING that
-- names it, instead of failing the migration (a node that cannot start would serve nothing). Nodes isolate
-- those rows as above until they are fixed; an update of such a row must fix it.

-- Raises the refusal: table.field and the reason, with the column and the constraint named.
create function sluice_refuse(tbl text, col text, field text, reason text) returns boolean
language plpgsql immutable as $$
begin
  raise exception '%.%: %', tbl, field, reason
    using errcode = 'check_violation', table = tbl, column = col, constraint = tbl || '_' || col || '_valid';
end $$;

-- Why a route path is invalid, or null: the rules of PathPattern.problem but the regex compile.
create function sluice_path_problem(p text) returns text language plpgsql immutable as $$
declare
  path text;
  seg  text;
begin
  if p is null then
    return 'must not be null';
  end if;
  if p like '~%' then
    return null;
  end if;
  path := case when p like '=%' then substr(p, 2) else p end;
  if path not like '/%' then
    return 'must start with /, =/ or ~';
  end if;
  if position('//' in path) > 0 or position('/./' in path) > 0 or position('/../' in path) > 0
     or path like '%/..' or path like '%/.' then
    return 'must be a normalized path (no empty, . or .. segments)';
  end if;
  if position('{' in p) > 0 then
    if p like '=%' then
      return 'an exact path cannot hold a {template}';
    end if;
    foreach seg in array string_to_array(substr(path, 2), '/') loop
      if position('{' in seg) > 0 and seg !~ '^\{[^{}]+\}$' then
        return format('a template segment must be a whole {name}: %s', quote_literal(seg));
      end if;
    end loop;
  end if;
  if path ~ '[\x01-\x20\x7f?#]' then
    return 'must not hold spaces, control characters, ? or #';
  end if;
  return null;
end $$;

create function sluice_check_paths(paths text[]) returns boolean language plpgsql immutable as $$
declare
  i       int := 0;
  p       text;
  problem text;
begin
  foreach p in array paths loop
    problem := sluice_path_problem(p);
    if problem is not null then
      return sluice_refuse('routes', 'paths', format('paths[%s]', i), format('%s %s', quote_nullable(p), problem));
    end if;
    i := i + 1;
  end loop;
  return true;
end $$;

-- Every element of a text array matches a pattern (hosts, methods).
create function sluice_check_each(tbl text, col text, items text[], pattern text, expected text)
returns boolean language plpgsql immutable as $$
declare
  i    int := 0;
  item text;
begin
  foreach item in array items loop
    if item is null or item !~ pattern then
      return sluice_refuse(tbl, col, format('%s[%s]', col, i), format('%s %s', quote_nullable(item), expected));
    end if;
    i := i + 1;
  end loop;
  return true;
end $$;

-- A route's headers: an object of header name to a non-empty array of strings.
create function sluice_check_headers(headers jsonb) returns boolean language plpgsql immutable as $$
declare
  k text;
  v jsonb;
begin
  for k, v in select * from jsonb_each(headers) loop
    if jsonb_typeof(v) <> 'array' or jsonb_array_length(v) = 0
       or exists (select 1 from jsonb_array_elements(v) e where jsonb_typeof(e) <> 'string') then
      return sluice_refuse('routes', 'headers', 'headers.' || k, 'must be a non-empty array of strings');
    end if;
  end loop;
  return true;
end $$;

-- A JSON value is an integer within [lo, hi].
create function sluice_is_integer_in(v jsonb, lo numeric, hi numeric) returns boolean
language sql immutable as $$
  select jsonb_typeof(v) = 'number' and (v #>> '{}')::numeric % 1 = 0
     and (v #>> '{}')::numeric between lo and hi
$$;

-- A settings object of a service: only the keys of ranges ({"key": [lo, hi]}), each an integer in range.
create function sluice_check_integers(col text, settings jsonb, ranges jsonb) returns boolean
language plpgsql immutable as $$
declare
  k text;
  v jsonb;
begin
  for k, v in select * from jsonb_each(settings) loop
    if not ranges ? k then
      return sluice_refuse('services', col, col || '.' || k, 'unknown key');
    end if;
    if not sluice_is_integer_in(v, (ranges -> k ->> 0)::numeric, (ranges -> k ->> 1)::numeric) then
      return sluice_refuse('services', col, col || '.' || k,
        format('must be an integer from %s to %s', ranges -> k ->> 0, ranges -> k ->> 1));
    end if;
  end loop;
  return true;
end $$;

-- A service's targets: 1 to 1000 objects {address: "host:port", weight: 0..1000}, one weight above 0.
create function sluice_check_targets(targets jsonb) returns boolean language plpgsql immutable as $$
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
      return sluice_refuse('services', 'targets', format('targets[%s].address', i), 'is required (host:port)');
    end if;
    address := t ->> 'address';
    if address !~ '^[^\s:/]+:[0-9]{1,5}$' then
      return sluice_refuse('services', 'targets', format('targets[%s].address', i),
        format('%s must be host:port', quote_literal(address)));
    end if;
    port := split_part(address, ':', 2)::int;
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

create function sluice_check_load_balancing(lb jsonb) returns boolean language plpgsql immutable as $$
declare
  k text;
begin
  for k in select jsonb_object_keys(lb) loop
    if k not in ('algorithm', 'hash_on') then
      return sluice_refuse('services', 'load_balancing', 'load_balancing.' || k, 'unknown key');
    end if;
  end loop;
  if lb ? 'algorithm' and (jsonb_typeof(lb -> 'algorithm') <> 'string' or lb ->> 'algorithm' not in
      ('round-robin', 'weighted', 'least-requests', 'consistent-hash')) then
    return sluice_refuse('services', 'load_balancing', 'load_balancing.algorithm',
      'must be one of round-robin, weighted, least-requests, consistent-hash');
  end if;
  if lb ? 'hash_on' and (jsonb_typeof(lb -> 'hash_on') <> 'string'
      or lb ->> 'hash_on' !~ '^(ip|header:[!#$%&''*+.^_`|~0-9A-Za-z-]+)$') then
    return sluice_refuse('services', 'load_balancing', 'load_balancing.hash_on', 'must be ip or header:NAME');
  end if;
  return true;
end $$;

create function sluice_check_retry_backoff(b jsonb) returns boolean language plpgsql immutable as $$
begin
  perform sluice_check_integers('retry_backoff', b, '{"base_ms": [0, 60000], "cap_ms": [0, 600000]}');
  if coalesce((b ->> 'cap_ms')::numeric, 1000) < coalesce((b ->> 'base_ms')::numeric, 25) then
    return sluice_refuse('services', 'retry_backoff', 'retry_backoff.cap_ms', 'must be at least base_ms');
  end if;
  return true;
end $$;

alter table services add constraint services_targets_valid check (sluice_check_targets(targets)) not valid;
alter table services add constraint services_load_balancing_valid
  check (sluice_check_load_balancing(load_balancing)) not valid;
alter table services add constraint services_retry_backoff_valid
  check (sluice_check_retry_backoff(retry_backoff)) not valid;
alter table services add constraint services_timeouts_valid check (sluice_check_integers('timeouts', timeouts,
  '{"connect_ms": [1, 600000], "read_ms": [1, 3600000], "idle_ms": [1, 3600000]}')) not valid;
alter table services add constraint services_circuit_breaker_valid check (sluice_check_integers('circuit_breaker',
  circuit_breaker, '{"failures": [1, 1000], "open_ms": [1, 3600000]}')) not valid;

alter table routes add constraint routes_paths_valid check (sluice_check_paths(paths)) not valid;
alter table routes add constraint routes_hosts_valid check (sluice_check_each('routes', 'hosts', hosts,
  '^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$', 'must be a host name, or *.domain')) not valid;
alter table routes add constraint routes_methods_valid check (sluice_check_each('routes', 'methods', methods,
  '^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE|CONNECT)$',
  'must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE, CONNECT')) not valid;
alter table routes add constraint routes_headers_valid check (sluice_check_headers(headers)) not valid;

do $$
declare
  c record;
begin
  for c in select conrelid::regclass::text as tbl, conname from pg_constraint
            where not convalidated and conname like '%\_valid'
              and conrelid in ('services'::regclass, 'routes'::regclass)
            order by 1, 2 loop
    begin
      execute format('alter table %I validate constraint %I', c.tbl, c.conname);
    exception when check_violation then
      raise warning 'sluice: constraint %.% stays NOT VALID: existing rows break it (%); they are kept, nodes leave them out of the route table and report them until they are fixed, and new or updated rows are checked',
        c.tbl, c.conname, sqlerrm;
    end;
  end loop;
end $$;

-- The configuration version that last wrote each service, route and plugin (0: before this migration). A
-- node reports a rejected entity with it, so that ?wait=true and /cluster/sync can tell whether the
-- entities of one version applied.
alter table services add column changed_in bigint not null default 0;
alter table routes add column changed_in bigint not null default 0;
alter table plugins add column changed_in bigint not null default 0;

create function sluice_stamp_changed_in() returns trigger language plpgsql as $$
begin
  new.changed_in := sluice_config_version_of_tx();
  return new;
end $$;

create trigger services_changed_in before insert or update on services
  for each row execute function sluice_stamp_changed_in();
create trigger routes_changed_in before insert or update on routes
  for each row execute function sluice_stamp_changed_in();
create trigger plugins_changed_in before insert or update on plugins
  for each row execute function sluice_stamp_changed_in();
