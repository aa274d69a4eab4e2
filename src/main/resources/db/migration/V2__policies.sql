-- Policies: consumer groups (read by the acl policy) and symmetric JWT credentials.

-- The groups a consumer belongs to; acl allows or denies by them. Names as in the admin API's schema.
alter table consumers add column groups text[] not null default '{}'
  check (cardinality(groups) <= 100 and array_position(groups, null) is null);

-- HS256/HS384/HS512 credentials need the shared secret to verify a signature, so it must be stored; it is
-- stored encrypted (AES-256-GCM under a key derived from keys.hmac_secret, which never enters the database),
-- never in clear and never returned by the admin API. Asymmetric credentials keep their public key.
alter table credentials add column jwt_secret_enc bytea;
alter table credentials drop constraint credentials_jwt_algorithm_check;
alter table credentials add constraint credentials_jwt_algorithm_check check (jwt_algorithm in (
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512',
  'EdDSA'));
alter table credentials drop constraint credentials_fields_of_kind;
alter table credentials add constraint credentials_fields_of_kind check (
  (kind = 'api-key' and key_prefix is not null and key_digest is not null
     and jwt_issuer is null and jwt_algorithm is null and jwt_public_key is null and jwt_secret_enc is null)
  or (kind = 'jwt' and jwt_issuer is not null and jwt_algorithm is not null
     and key_prefix is null and key_digest is null
     and ((jwt_algorithm like 'HS%' and jwt_secret_enc is not null and jwt_public_key is null)
       or (jwt_algorithm not like 'HS%' and jwt_public_key is not null and jwt_secret_enc is null))));
