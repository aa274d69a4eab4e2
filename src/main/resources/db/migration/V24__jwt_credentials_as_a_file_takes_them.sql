-- JWT credentials (V24): PostgreSQL refuses the two a declarative file refuses that it can tell, so that a row
-- written with psql cannot make an export that PUT /config refuses:
-- - an algorithm the admin API and the file do not take: EdDSA, which V1 and V2 let in but no node verifies
--   (credential/JwtKeys.ALGORITHMS: HS*, RS*, PS*, ES*);
-- - an RS*, PS* or ES* credential whose public key is not PEM (no -----BEGIN PUBLIC KEY-----), the test
--   config/ConsumerChecks makes of a file (the admin API and PUT /config parse the key too, which PostgreSQL cannot).
--
-- Each refusal is a check_violation (23514) whose message is "credentials.<column>: <reason>", with the column
-- and a constraint whose name says what is wrong (credentials_jwt_algorithm_not_accepted,
-- credentials_jwt_public_key_not_pem), so that psql shows it and the admin API answers 400 with the field.
--
-- Rows that already break one stay, never served wrong (a node never verifies with EdDSA, nor with a key that
-- does not parse: the token is refused 401) and reported (GET /config answers 409 stored_config_invalid naming
-- the consumer and the field): each constraint is added NOT VALID (new and updated rows are checked) and then
-- validated; one that existing rows break stays NOT VALID, with a WARNING naming it, instead of failing the
-- migration.

create function sluice_refuse_credential(col text, constraint_name text, reason text) returns boolean
language plpgsql immutable as $$
begin
  raise exception 'credentials.%: %', col, reason
    using errcode = 'check_violation', table = 'credentials', column = col, constraint = constraint_name;
end $$;

alter table credentials add constraint credentials_jwt_algorithm_not_accepted check (
  case when jwt_algorithm is null or jwt_algorithm in ('HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512',
      'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512') then true
    else sluice_refuse_credential('jwt_algorithm', 'credentials_jwt_algorithm_not_accepted',
      format('%s is not accepted: a JWT credential''s algorithm is one of HS256, HS384, HS512, RS256, RS384, RS512,'
        ' PS256, PS384, PS512, ES256, ES384, ES512', quote_literal(jwt_algorithm)))
  end) not valid;

alter table credentials add constraint credentials_jwt_public_key_not_pem check (
  case when jwt_public_key is null or jwt_algorithm like 'HS%'
      or position('-----BEGIN PUBLIC KEY-----' in jwt_public_key) > 0 then true
    else sluice_refuse_credential('jwt_public_key', 'credentials_jwt_public_key_not_pem',
      format('must be a PEM public key (-----BEGIN PUBLIC KEY-----) for %s', jwt_algorithm))
  end) not valid;

do $$
declare
  c text;
begin
  foreach c in array array['credentials_jwt_algorithm_not_accepted', 'credentials_jwt_public_key_not_pem'] loop
    begin
      execute format('alter table credentials validate constraint %I', c);
    exception when check_violation then
      raise warning 'sluice: constraint % of credentials stays NOT VALID: existing rows break it (%); they are kept, never used to verify a token, and named by GET /config (409 stored_config_invalid) until they are fixed or deleted; new or updated rows are checked',
        c, sqlerrm;
    end;
  end loop;
end $$;
