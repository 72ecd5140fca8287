-- depends: 0010_tenancy_bounds

-- Moving the old table aside locks it: fail fast, never queue behind traffic.
set local lock_timeout = '5s';

-- audit_logs, partitioned by month (docs/audit-and-trash.md, bench/audit.py):
-- - no foreign keys: an entry outlives the organization, user and entity it
--   names, and keeps naming them (attributable after they are deleted);
-- - partitions by created_at, one per calendar month (UTC), in the private
--   schema (PostgREST exposes public only), plus a default partition that
--   catches rows of a month with no partition yet, so no write ever fails for
--   want of one; retention drops whole months (public.purge_audit_logs);
-- - only the indexes that the readers use: an organization's log newest first,
--   with the two filters of list_audit_logs in the index (index-only pages), and a
--   BRIN on created_at for time ranges (about nothing to write). No index by
--   entity: no reader looks entries up by entity across organizations, and a
--   random text key was the dearest index of all on a bulk write (bench/audit.py;
--   docs/audit-and-trash.md says how to add one);
-- - ip_address is inet (an unparsable address is stored as null);
-- - id stays a random uuid (the API's keyset cursor): nothing is indexed by id
--   alone, so its randomness costs no index locality.
-- The table of 0006-0009 moves to the private schema with its rows: 0013 copies
-- them in batches, then drops it.

alter table public.audit_logs set schema private;
-- supakit-lint: ignore rename-table -- no client can reach it: it left the exposed schema just above
alter table private.audit_logs rename to audit_logs_0009;
alter index private.audit_logs_pkey rename to audit_logs_0009_pkey;
alter index private.audit_logs_user_id_idx rename to audit_logs_0009_user_id_idx;
alter index private.audit_logs_entity_idx rename to audit_logs_0009_entity_idx;
alter index private.audit_logs_created_at_idx rename to audit_logs_0009_created_at_idx;
alter index private.audit_logs_organization_keyset_idx rename to audit_logs_0009_organization_keyset_idx;
alter table private.audit_logs_0009 rename constraint audit_logs_action_check to audit_logs_0009_action_check;

create table public.audit_logs (
  id uuid not null default gen_random_uuid(),
  organization_id uuid,
  user_id uuid,
  action text not null,
  entity_type text not null,
  entity_id text,
  old_values jsonb,
  new_values jsonb,
  ip_address inet,
  user_agent text,
  created_at timestamptz not null default now(),
  changed_keys text[],
  constraint audit_logs_action_check check (
    action in ('create', 'update', 'delete', 'soft_delete', 'restore', 'purge',
               'login', 'logout', 'invite', 'remove')
  ),
  constraint audit_logs_user_agent_length check (char_length(user_agent) <= 512)
) partition by range (created_at);

-- An organization's log newest first, paged by (created_at, id); entity_type and
-- user_id ride along so that list_audit_logs' filters never visit the heap.
create index audit_logs_organization_keyset_idx
  on public.audit_logs (organization_id, created_at desc, id desc) include (entity_type, user_id);
-- Time ranges (retention of the default partition, exports): rows arrive in time order.
create index audit_logs_created_at_idx on public.audit_logs using brin (created_at);

alter table public.audit_logs enable row level security;

create table private.audit_logs_default partition of public.audit_logs default;
-- Partitions are read through audit_logs only (its policy applies there, not on a partition).
revoke all on private.audit_logs_default from public, anon, authenticated, service_role;

-- One partition per month, from the oldest existing entry's month to three
-- months ahead (private.create_audit_partitions keeps them ahead after this).
do $$
declare
  first_month timestamp := pg_catalog.date_trunc('month', coalesce(
    (select pg_catalog.min(a.created_at) from private.audit_logs_0009 a), pg_catalog.now()) at time zone 'utc');
  last_month timestamp := pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'utc') + interval '3 months';
  month timestamp;
begin
  for month in select pg_catalog.generate_series(first_month, last_month, interval '1 month') loop
    execute pg_catalog.format(
      'create table private.%I partition of public.audit_logs for values from (%L) to (%L)',
      pg_catalog.to_char(month, '"audit_logs_y"YYYY"m"MM'),
      month at time zone 'utc', (month + interval '1 month') at time zone 'utc');
    execute pg_catalog.format('revoke all on private.%I from public, anon, authenticated, service_role',
                              pg_catalog.to_char(month, '"audit_logs_y"YYYY"m"MM'));
  end loop;
end;
$$;

-- Functions returning the old row type went with it (log_event, list_audit_logs):
-- drop them, and have the migrator re-apply every repeatable (functions and
-- policies are idempotent) so that they come back over the new table.
do $$
declare
  f regprocedure;
begin
  for f in
    select p.oid::regprocedure from pg_catalog.pg_proc p
    where p.prorettype = (select c.reltype from pg_catalog.pg_class c where c.oid = 'private.audit_logs_0009'::regclass)
  loop
    execute pg_catalog.format('drop function %s', f);
  end loop;
  if pg_catalog.to_regclass('supakit_migrations.checksums') is not null then
    delete from supakit_migrations.checksums where kind = 'repeatable';
  end if;
end;
$$;
