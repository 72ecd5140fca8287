-- What every generated audit writer shares: its name and how it is installed.
-- private.enable_audit (080_audit.sql) generates three trigger functions per audited
-- table, one per operation: insert and delete (079_audit_row_writers.sql), update
-- (078_audit_update_writer.sql). Each is written from the table's own columns, so
-- no row is turned into jsonb to find its key or organization, and no generic
-- function walks a row key by key.
-- The settings every writer runs with:
-- - security definer with search_path pinned: callers may not write the log
--   themselves, and a writer names nothing but built-ins and schema-qualified objects;
-- - plan_cache_mode = force_generic_plan: left to choose, the plan cache compares
--   the generic plan with the custom plans made so far, and after a bulk first call
--   (a custom plan costed for its 100,000 rows) it went on planning every later
--   single-row call anew (bench/audit.py, `single_after_bulk_vs_single`: 2.4x
--   before this setting);
-- - jit = off: the generic plan of a bulk first call would otherwise keep its JIT
--   decision and compile on every later single-row call (hundreds of ms each).
-- The request context (the caller, the client, the entries' id prefix) is read once
-- per statement into the writer's variables, so its query is the writing alone: a
-- join to a context subquery cost a single-row statement more than its entry.

-- The name of a table's generated writer for one operation (at most 63 bytes,
-- unique per table and operation): audit_<operation>__<schema>__<table>.
drop function if exists private.audit_update_writer_name(regclass);
create or replace function private.audit_writer_name(target regclass, operation text)
returns text
language sql
stable
set search_path = ''
as $$
  select case when pg_catalog.octet_length(t.name) <= 63 then t.name
              else pg_catalog.left(t.name, 50) || '_' || pg_catalog.left(pg_catalog.md5(t.name), 12) end
  from (
    select 'audit_' || operation || '__' || n.nspname || '__' || c.relname as name
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.oid = target
  ) t
$$;

-- (Re)create a writer and return its qualified name. `body` is its statements; every
-- writer reads the same request context, declared here once: `actor` (auth.uid()),
-- `client` (private.request_client()) and `id_prefix` (its entries' ids). Nobody but
-- its trigger calls it. `nested_loops` false: its joins are hashed or merged, never a
-- nested loop chosen on a small first call's estimate.
create or replace function private.install_audit_writer(
  target regclass, operation text, body text, nested_loops boolean default true)
returns text
language plpgsql
set search_path = ''
as $$
declare
  writer text := pg_catalog.format('private.%I', private.audit_writer_name(target, operation));
begin
  if operation not in ('insert', 'update', 'delete') then
    raise exception 'no audit writer for operation %', operation using errcode = '22023';
  end if;
  execute pg_catalog.format(
    'create or replace function %s() returns trigger language plpgsql security definer '
    'set search_path = '''' set plan_cache_mode = force_generic_plan set jit = off%s as %L',
    writer, case when nested_loops then '' else ' set enable_nestloop = off' end,
    pg_catalog.concat(E'\ndeclare\n',
                      E'  actor uuid := auth.uid();\n',
                      E'  client record := private.request_client();\n',
                      E'  id_prefix text := pg_catalog.left(pg_catalog.gen_random_uuid()::text, 24);\n',
                      E'begin', body, E'end;\n'));
  execute pg_catalog.format('revoke execute on function %s() from public, anon, authenticated, service_role', writer);
  return writer;
end;
$$;

-- A column's number, which a rename keeps: a writer is generated with the numbers of
-- the key and organization columns beside their names (null: no such column).
create or replace function private.audit_column_number(target regclass, column_name text)
returns smallint
language sql
stable
set search_path = ''
as $$
  select a.attnum from pg_catalog.pg_attribute a
  where a.attrelid = target and a.attname = column_name and a.attnum > 0 and not a.attisdropped
$$;

-- The expression by which a generated writer's generic query finds the name one of
-- its columns has now (`null` for a column it was generated without).
create or replace function private.audit_column_now_source(target regclass, column_name text)
returns text
language sql
stable
set search_path = ''
as $$
  select case when column_name is null then 'null'
              else pg_catalog.format('private.audit_column_now(tg_relid, %s, %L)',
                     coalesce(private.audit_column_number(target, column_name)::text, 'null'), column_name) end
$$;

-- The name a writer's key or organization column has now, for the writers' generic
-- queries once the table changed: the column with the number it had when the writer
-- was generated (a rename keeps a column's number, and audit_key_is_fixed follows
-- the key by it), else a column with the name it had (one dropped and added again);
-- null when neither is there.
create or replace function private.audit_column_now(target oid, column_number integer, generated_name text)
returns text
language sql
stable
set search_path = ''
as $$
  select a.attname::text from pg_catalog.pg_attribute a
  where a.attrelid = target and a.attnum > 0 and not a.attisdropped
    and (a.attnum = column_number or a.attname = generated_name)
  order by a.attnum = column_number desc nulls last
  limit 1
$$;

-- A trigger's arguments (pg_trigger.tgargs: NUL-terminated strings), decoded byte for
-- byte: for an audit trigger, the key and organization columns it was created with.
create or replace function private.trigger_arguments(tgargs bytea)
returns text[]
language sql
immutable
set search_path = ''
as $$
  select array(
    select pg_catalog.convert_from(pg_catalog.decode(a.arg, 'escape'), pg_catalog.current_setting('server_encoding'))
    from pg_catalog.unnest(pg_catalog.string_to_array(pg_catalog.encode(tgargs, 'escape'), '\000'))
         with ordinality as a(arg, n)
    order by a.n)
$$;

revoke execute on function private.audit_writer_name(regclass, text) from public, anon, authenticated, service_role;
revoke execute on function private.trigger_arguments(bytea) from public, anon, authenticated, service_role;
revoke execute on function private.audit_column_number(regclass, text) from public, anon, authenticated, service_role;
revoke execute on function private.audit_column_now(oid, integer, text) from public, anon, authenticated, service_role;
revoke execute on function private.audit_column_now_source(regclass, text) from public, anon, authenticated, service_role;
revoke execute on function private.install_audit_writer(regclass, text, text, boolean) from public, anon, authenticated, service_role;
