-- Issue 14: the admin API's lists page by key, (created_at, id) after the previous page's last row, instead of
-- by offset. Consumers are the one list that grows large (services, routes and plugins are held whole by every
-- node): these indexes let a page read only its rows, of every tenant or of one, instead of sorting them all.
create index consumers_page on consumers (created_at, id);
create index consumers_tenant_page on consumers (tenant_id, created_at, id);
