-- TLS certificates as configuration (issue 12): served by the proxy's TLS listener, chosen by SNI, changed
-- live on every node through the change log like any other entity.
--
-- A certificate is a PEM chain (leaf first) and its private key. The key is never stored in clear: key_enc
-- is AES-256-GCM under a key derived (HKDF-SHA-256) from the nodes' keys.encryption_secret (else
-- keys.hmac_secret, with a label of its own), which never enters the database; the associated data is the
-- leaf's SHA-256 fingerprint, so a sealed key copied next to another certificate does not open. The admin API
-- checks the chain, the key and the expiry before it writes; subject, names, not_after and fingerprint are
-- what it read from the leaf, kept for lists, metrics and alerts.
create table certificates (
  id          uuid primary key default gen_random_uuid(),
  seq         bigint generated always as identity,
  tenant_id   uuid references tenants (id) on delete restrict,
  cert        text not null check (cert like '-----BEGIN CERTIFICATE-----%' and length(cert) <= 65536),
  key_enc     bytea not null check (length(key_enc) between 29 and 16384),
  subject     text not null,
  names       text[] not null default '{}',
  not_after   timestamptz not null,
  fingerprint text not null check (fingerprint ~ '^[0-9a-f]{64}$'),
  changed_in  bigint not null default 0,
  version     bigint not null default 1,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
create index certificates_tenant on certificates (tenant_id);

-- A server name the proxy answers with a certificate: an exact host name, or *.suffix for any one label in
-- front of suffix (www.example.com matches *.example.com, a.b.example.com does not), or * for the names no
-- other SNI matches and clients that send none (without it, those handshakes are refused). Lower case.
create table snis (
  id             uuid primary key default gen_random_uuid(),
  seq            bigint generated always as identity,
  name           text not null unique check (length(name) <= 253
                   and name ~ '^(\*|(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$'),
  certificate_id uuid not null references certificates (id) on delete restrict,
  changed_in     bigint not null default 0,
  version        bigint not null default 1,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);
create index snis_certificate on snis (certificate_id);

create trigger certificates_stamp before insert or update on certificates
  for each row execute function sluice_stamp_row();
create trigger certificates_changed_in before insert or update on certificates
  for each row execute function sluice_stamp_changed_in();
create trigger certificates_change after insert or update or delete on certificates
  for each row execute function sluice_record_change();
create trigger certificates_no_truncate before truncate on certificates
  for each statement execute function sluice_refuse_truncate();

create trigger snis_stamp before insert or update on snis
  for each row execute function sluice_stamp_row();
create trigger snis_changed_in before insert or update on snis
  for each row execute function sluice_stamp_changed_in();
create trigger snis_change after insert or update or delete on snis
  for each row execute function sluice_record_change();
create trigger snis_no_truncate before truncate on snis
  for each statement execute function sluice_refuse_truncate();
