-- The cache keys a credential stops answering to. Consumers and credentials are cached cluster-wide by
-- what a request presents (an API key's digest, a JWT issuer), while the change log names rows by id: once
-- a credential is deleted (or its digest or issuer changed) its row no longer tells which cache key to
-- evict. This table keeps the old digest and issuer, under the version of the transaction, so that the sync
-- leader evicts them with that version. Rows older than the cluster's version are pruned by the leader.
create table credential_keys_retired (
  version    bigint not null,
  key_digest bytea,
  jwt_issuer text
);
create index credential_keys_retired_version on credential_keys_retired (version);

create function sluice_retire_credential_keys() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' or new.key_digest is distinct from old.key_digest
     or new.jwt_issuer is distinct from old.jwt_issuer then
    insert into credential_keys_retired (version, key_digest, jwt_issuer)
    values (sluice_config_version_of_tx(), old.key_digest, old.jwt_issuer);
  end if;
  return null;
end $$;

create trigger credentials_retire_keys after update or delete on credentials
  for each row execute function sluice_retire_credential_keys();
