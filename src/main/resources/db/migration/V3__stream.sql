-- Stream tokens: how a tenant authenticates to /v1/stream. Sluice generates a token, answers it once and
-- keeps only its HMAC-SHA-256 digest (under keys.hmac_secret, outside the database) and a readable prefix.
-- Not configuration: no change-log trigger; a node looks a token up when a client connects.
create table stream_tokens (
  id           uuid primary key default gen_random_uuid(),
  tenant_id    uuid not null references tenants (id) on delete cascade,
  token_prefix text not null,
  token_digest bytea not null unique,
  created_at   timestamptz not null default now()
);
create index stream_tokens_tenant on stream_tokens (tenant_id);
