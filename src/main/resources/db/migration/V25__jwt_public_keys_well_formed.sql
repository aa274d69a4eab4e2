-- JWT public keys (V25): V24 made PostgreSQL refuse an RS*, PS* or ES* key without a PEM header, but a key whose
-- header is right and whose body does not parse could still be written with psql (the admin API and PUT /config
-- parse it and refuse it). PostgreSQL cannot parse a key as the node does (credential/JwtKeys), but it can tell
-- the bodies that cannot be one: between the PEM markers, whitespace aside, the body is base64 with its padding;
-- decoded, it is one DER SEQUENCE (0x30) whose declared length is the whole of it (no truncation, nothing after),
-- of a plausible size for its family (RS*, PS*: an RSA key of 2048 bits at least, as the node requires, at most
-- 4096 bytes; ES*: 50 to 1024 bytes, room for a compressed point and for explicit curve parameters), naming its
-- family's algorithm (rsaEncryption or RSASSA-PSS; id-ecPublicKey). A key that passes all that and still does not
-- parse (a corrupted modulus, a point off the curve) is never used to verify: the node refuses the token 401, as
-- with any credential whose key does not parse.
--
-- sluice_jwt_public_key_problem(algorithm, key) answers why a key cannot be one (null when it may be): the
-- constraint credentials_jwt_public_key_not_der uses it, and so does the export (store/ConsumerFile), which names
-- rows written before this migration with 409 stored_config_invalid. As in V24 the constraint is added NOT VALID,
-- then validated; when existing rows break it, it stays NOT VALID with a WARNING naming it (new and updated rows
-- are checked) instead of failing the migration.

create function sluice_jwt_public_key_problem(algorithm text, pem text) returns text
language plpgsql immutable as $$
declare
  body text;
  der bytea;
  declared int;
begin
  if pem is null or algorithm is null or algorithm !~ '^(RS|PS|ES)(256|384|512)$'
      or position('-----BEGIN PUBLIC KEY-----' in pem) = 0 then
    return null; -- no public key, not PEM, or an algorithm not accepted: V24's constraints speak of those
  end if;
  body := regexp_replace(replace(replace(pem, '-----BEGIN PUBLIC KEY-----', ''), '-----END PUBLIC KEY-----', ''),
    '\s', '', 'g');
  if body = '' or body !~ '^[A-Za-z0-9+/]+={0,2}$' or length(body) % 4 <> 0 then
    return 'the PEM body is not base64';
  end if;
  der := decode(body, 'base64');
  if length(der) < 4 then
    return 'the PEM body is not a DER public key (SubjectPublicKeyInfo)';
  end if;
  if get_byte(der, 0) <> 48 then
    return 'the PEM body is not a DER public key (SubjectPublicKeyInfo)';
  end if;
  declared := case get_byte(der, 1)
    when 129 then get_byte(der, 2) + 3
    when 130 then get_byte(der, 2) * 256 + get_byte(der, 3) + 4
    else case when get_byte(der, 1) < 128 then get_byte(der, 1) + 2 else -1 end end;
  if declared <> length(der) then
    return format('the DER public key is cut short or has bytes after it (%s bytes, %s declared)', length(der),
      declared);
  end if;
  if algorithm like 'ES%' then
    if length(der) not between 50 and 1024 or position('\x2a8648ce3d0201'::bytea in der) = 0 then
      return format('not an EC public key (id-ecPublicKey, 50 to 1024 bytes) for %s', algorithm);
    end if;
  elsif length(der) not between 290 and 4096 or (position('\x2a864886f70d010101'::bytea in der) = 0
      and position('\x2a864886f70d01010a'::bytea in der) = 0) then
    return format('not an RSA public key of 2048 bits or more (rsaEncryption, 290 to 4096 bytes) for %s', algorithm);
  end if;
  return null;
end $$;

alter table credentials add constraint credentials_jwt_public_key_not_der check (
  case when sluice_jwt_public_key_problem(jwt_algorithm, jwt_public_key) is null then true
    else sluice_refuse_credential('jwt_public_key', 'credentials_jwt_public_key_not_der',
      sluice_jwt_public_key_problem(jwt_algorithm, jwt_public_key))
  end) not valid;

do $$
begin
  alter table credentials validate constraint credentials_jwt_public_key_not_der;
exception when check_violation then
  raise warning 'sluice: constraint credentials_jwt_public_key_not_der of credentials stays NOT VALID: existing rows break it (%); they are kept, never used to verify a token, and named by GET /config (409 stored_config_invalid) until they are fixed or deleted; new or updated rows are checked',
    sqlerrm;
end $$;
