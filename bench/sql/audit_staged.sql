-- bench/audit.py: the "append-only staging" design, measured and not shipped.
-- Each audited statement writes ONE row: its context and every affected row as a
-- jsonb array (old and new), into bench.audit_batches; a later job would expand
-- the batches into audit_logs rows. The write is as cheap as auditing gets, but
-- until a batch is expanded its entries are invisible to list_audit_logs and to
-- entity lookups (no index reaches inside the arrays), and expanding costs what
-- writing them directly costs: see docs/audit-and-trash.md. Bench only.

create table bench.audit_batches (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  user_id uuid,
  ip_address inet,
  user_agent text,
  entity_type text not null,
  key_column text not null,
  organization_column text,
  statement text not null check (statement in ('insert', 'update', 'delete')),
  old_rows jsonb,
  new_rows jsonb
);

create function bench.staged_audit_insert()
returns trigger language plpgsql security definer set search_path = '' as $$
begin
  insert into bench.audit_batches
    (user_id, ip_address, user_agent, entity_type, key_column, organization_column, statement, new_rows)
  select auth.uid(), c.ip_address, c.user_agent, tg_table_name, tg_argv[0], nullif(tg_argv[1], ''), 'insert',
         (select pg_catalog.jsonb_agg(n) from new_rows n)
  from private.request_client() c;
  return null;
end;
$$;

create function bench.staged_audit_update()
returns trigger language plpgsql security definer set search_path = '' as $$
begin
  insert into bench.audit_batches
    (user_id, ip_address, user_agent, entity_type, key_column, organization_column, statement, old_rows, new_rows)
  select auth.uid(), c.ip_address, c.user_agent, tg_table_name, tg_argv[0], nullif(tg_argv[1], ''), 'update',
         (select pg_catalog.jsonb_agg(o) from old_rows o), (select pg_catalog.jsonb_agg(n) from new_rows n)
  from private.request_client() c;
  return null;
end;
$$;

create function bench.enable_staged_audit(target regclass, key text, organization text)
returns void
language plpgsql
as $$
declare
  args text := format('%L, %L', key, organization);
begin
  execute format('create trigger audit_insert after insert on %s referencing new table as new_rows '
                 'for each statement execute function bench.staged_audit_insert(%s)', target, args);
  execute format('create trigger audit_update after update on %s referencing old table as old_rows new table as new_rows '
                 'for each statement execute function bench.staged_audit_update(%s)', target, args);
end;
$$;
