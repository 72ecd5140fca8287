-- Soft delete. An API caller's DELETE of a soft-deletable row marks it (deleted_at,
-- deleted_by) instead of removing it; the row moves to the trash, from which
-- restore_<table> brings it back and purge / empty_trash remove it for good. Who
-- may delete is still the table's delete policy: the trigger only fires for rows
-- the policy let through.
--
-- What counts as an API caller: the roles PostgREST switches to (anon,
-- authenticated, service_role). Deletes by the tables' owner are real deletes: the
-- purge RPCs (security definer), the cascade from a deleted organization (Postgres
-- runs it as the owner), migrations and maintenance. The trigger's WHEN clause tells
-- them apart by current_user.
--
-- Not a `deleted_at is null` select policy: Postgres checks an updated row against
-- the select policies when the update reads columns (PostgREST's always do), so the
-- marking update itself would be refused. Active rows are a view instead.

-- BEFORE DELETE, per row; TG_ARGV[0]: the key column. The trigger fires only for
-- API callers (its WHEN clause, evaluated as the caller, checks current_user), so
-- the function itself can be security definer: API callers may not write deleted_at
-- or deleted_by themselves, and there is no helper they could call directly.
create or replace function private.soft_delete()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.deleted_at is null then
    execute pg_catalog.format(
      'update %s set deleted_at = pg_catalog.now(), deleted_by = $2 where %I = ($1).%I and deleted_at is null',
      tg_relid::regclass, tg_argv[0], tg_argv[0])
    using old, private.audit_actor();
  end if;
  return null;  -- nothing is removed; an already trashed row stays as it is
end;
$$;

-- DELETE on the active view: soft-deletes through the table (its delete policy
-- applies). The response shows the row (as it was: Postgres builds RETURNING of an
-- INSTEAD OF DELETE from the old row), so a client tells a soft delete (a row)
-- from a refusal (this raises: 403) and from a row it cannot see (none).
-- TG_ARGV: the table, its key column.
create or replace function private.soft_delete_from_view()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  trashed record;
begin
  execute pg_catalog.format('delete from %s where %I = ($1).%I', tg_argv[0], tg_argv[1], tg_argv[1]) using old;
  execute pg_catalog.format('select * from %s where %I = ($1).%I and deleted_at is not null', tg_argv[0], tg_argv[1], tg_argv[1])
    into trashed using old;
  if trashed is null then
    raise exception 'you may not delete this row of %', tg_argv[0] using errcode = '42501';
  end if;
  return trashed;
end;
$$;

-- Make a table soft-deletable: one statement. The table needs deleted_at
-- (timestamptz) and deleted_by (uuid) columns. Adds the trigger and two views,
-- active_<table> and trashed_<table>, both security_invoker so RLS applies.
-- What it creates is recorded in private.generated_objects (migration 0016), where
-- the migrator's teardown and `supakit doctor` find it.
create or replace function private.enable_soft_delete(target regclass, key text default 'id')
returns void
language plpgsql
set search_path = ''
as $$
declare
  schema_name text;
  table_name text;
begin
  select n.nspname, c.relname into schema_name, table_name
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = target;
  -- Only API callers' deletes are soft: the owner's (purge RPCs, the cascade from a
  -- deleted organization, migrations) are real.
  execute pg_catalog.format(
    'create or replace trigger soft_delete before delete on %s for each row '
    'when (current_user in (''anon'', ''authenticated'', ''service_role'')) '
    'execute function private.soft_delete(%L)',
    target, key);
  execute pg_catalog.format(
    'create or replace view %I.%I with (security_invoker = true) as select * from %s where deleted_at is null',
    schema_name, 'active_' || table_name, target);
  execute pg_catalog.format(
    'create or replace view %I.%I with (security_invoker = true) as select * from %s where deleted_at is not null',
    schema_name, 'trashed_' || table_name, target);
  execute pg_catalog.format(
    'create or replace trigger soft_delete instead of delete on %I.%I for each row '
    'execute function private.soft_delete_from_view(%L, %L)',
    schema_name, 'active_' || table_name, target::text, key);
  -- Supabase's default privileges grant ALL (trigger, references, truncate too): a
  -- trigger planted on a view would run as whoever deletes through it next.
  execute pg_catalog.format('revoke all on %I.%I, %I.%I from anon, authenticated, service_role',
    schema_name, 'active_' || table_name, schema_name, 'trashed_' || table_name);
  execute pg_catalog.format('grant select, insert, update, delete on %I.%I, %I.%I to authenticated, service_role',
    schema_name, 'active_' || table_name, schema_name, 'trashed_' || table_name);
  -- anon reads them like the table: RLS (security_invoker) shows it nothing.
  execute pg_catalog.format('grant select on %I.%I, %I.%I to anon',
    schema_name, 'active_' || table_name, schema_name, 'trashed_' || table_name);
  if pg_catalog.to_regclass('private.generated_objects') is not null then
    insert into private.generated_objects (kind, relation, name, generated_by)
    values ('trigger', target::text, 'soft_delete', 'private.enable_soft_delete'),
           ('view', pg_catalog.format('%I.%I', schema_name, 'active_' || table_name), 'active_' || table_name,
            'private.enable_soft_delete'),
           ('view', pg_catalog.format('%I.%I', schema_name, 'trashed_' || table_name), 'trashed_' || table_name,
            'private.enable_soft_delete'),
           ('trigger', pg_catalog.format('%I.%I', schema_name, 'active_' || table_name), 'soft_delete',
            'private.enable_soft_delete')
    on conflict do nothing;
  end if;
end;
$$;

drop function if exists private.mark_deleted(regclass, text, text);
revoke execute on function private.soft_delete() from public, anon, authenticated, service_role;
revoke execute on function private.soft_delete_from_view() from public, anon, authenticated, service_role;
revoke execute on function private.enable_soft_delete(regclass, text) from public, anon, authenticated, service_role;

select private.enable_soft_delete('public.projects');
