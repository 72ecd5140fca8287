-- The audit trail: every insert, update and delete of an audited table becomes a
-- row of public.audit_logs, whichever path wrote it (REST, an RPC, plain SQL), in
-- the transaction of the change.
-- Statement-level triggers with transition tables: one insert into the log per
-- statement, not one per row, with the request context (actor, ip, user agent)
-- read once per statement into the trigger function's variables. Each trigger
-- function is generated for its table and operation from the table's key and
-- organization columns (077-079), so no row needs a catalog lookup, and the
-- organization is taken from the row itself (no join): an entry keeps it after the
-- organization is deleted.
-- Who: auth.uid() (null for the service role and for migrations), stored as is (no
-- foreign key: entries outlive the user). Where from: private.request_client().
-- An insert stores the row, a delete the row it removed (079_audit_row_writers.sql);
-- an update stores the changed columns, old and new, and their names; an update
-- that changes nothing but updated_at writes nothing (078_audit_update_writer.sql).
-- Entry ids: one random prefix per statement, and in the last 48 bits a number
-- counting down from 2^48 - 1 in organization order (see 078_audit_update_writer.sql):
-- a statement's entries reach the keyset index in its own order.
-- The writers are security definer (callers may not write the log themselves)
-- with search_path pinned and only built-ins and schema-qualified names.

-- The caller's client, from the headers PostgREST puts in request.headers: the
-- one place they are parsed. ip_address: x-forwarded-for's first hop, else
-- x-real-ip, as inet (unparsable: null); user_agent: its first 512 characters.
-- PL/pgSQL, so that its work is planned once per session (an SQL function called
-- from a cached plan is parsed and planned again at every execution). One row as
-- out parameters, not a set: the triggers assign it to a variable once per
-- statement (a set-returning call costs a function scan in the writer's plan).
drop function if exists private.request_client();
create function private.request_client(out ip_address inet, out user_agent text)
language plpgsql
stable
set search_path = ''
as $$
declare
  headers jsonb := nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb;
  address text := coalesce(
    nullif(pg_catalog.btrim(pg_catalog.split_part(headers ->> 'x-forwarded-for', ',', 1)), ''),
    nullif(pg_catalog.btrim(headers ->> 'x-real-ip'), ''));
begin
  -- An address PostgreSQL cannot read as inet is stored as null, never an error: a
  -- bad header must not block the write it describes. The block writes nothing, so
  -- it takes no subtransaction id; it costs about half of what matching a dotted
  -- quad by pattern first did (docs/performance.md).
  if pg_catalog.length(address) <= 64 then
    begin
      ip_address := address::pg_catalog.inet;
    exception when invalid_text_representation or invalid_parameter_value then
      ip_address := null;
    end;
  end if;
  user_agent := pg_catalog.left(headers ->> 'user-agent', 512);
end;
$$;

-- The acting user as a profile id (a user without a profile, or no user: null).
create or replace function private.audit_actor()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select p.id from public.profiles p where p.id = (select auth.uid())
$$;

create or replace function private.refuse_key_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% of % cannot change (the audit trail follows rows by it)', tg_argv[0], tg_table_name
    using errcode = '23514';
end;
$$;

-- Audit a table: one statement. `key` and `organization` name its columns
-- (organization null for tables that belong to no organization). Run it again after
-- changing the table's columns: it regenerates the table's writers. Its four
-- triggers and three writers are recorded in private.generated_objects (migrations
-- 0016 and 0017), where the migrator's teardown and `supakit doctor` find them.
create or replace function private.enable_audit(target regclass, key text, organization text default null)
returns void
language plpgsql
set search_path = ''
as $$
declare
  args text := pg_catalog.format('%L, %L', key, coalesce(organization, ''));
  writers text[] := array[
    private.create_audit_row_writer(target, key, organization, 'insert'),
    private.create_audit_update_writer(target, key, organization),
    private.create_audit_row_writer(target, key, organization, 'delete')];
begin
  -- The writers do not read the arguments (they are generated with the names); the
  -- arguments record what the table was audited with, for generating them again
  -- (078, 079) and for the upgrade below.
  execute pg_catalog.format(
    'create or replace trigger audit_insert after insert on %s referencing new table as new_rows '
    'for each statement execute function %s(%s)', target, writers[1], args);
  execute pg_catalog.format(
    'create or replace trigger audit_update after update on %s referencing old table as old_rows new table as new_rows '
    'for each statement execute function %s(%s)', target, writers[2], args);
  execute pg_catalog.format(
    'create or replace trigger audit_delete after delete on %s referencing old table as old_rows '
    'for each statement execute function %s(%s)', target, writers[3], args);
  -- Old and new rows are matched by key: a key never changes.
  execute pg_catalog.format(
    'create or replace trigger audit_key_is_fixed before update of %1$I on %2$s for each row '
    'when (old.%1$I is distinct from new.%1$I) execute function private.refuse_key_change(%3$L)',
    key, target, key);
  if pg_catalog.to_regclass('private.generated_objects') is not null then
    insert into private.generated_objects (kind, relation, name, generated_by)
    select 'trigger', target::text, t.name, 'private.enable_audit'
    from (values ('audit_insert'), ('audit_update'), ('audit_delete'), ('audit_key_is_fixed')) as t(name)
    on conflict do nothing;
    if exists (select 1 from pg_catalog.pg_constraint c
               where c.conrelid = 'private.generated_objects'::regclass and c.conname = 'generated_objects_kind') then
      insert into private.generated_objects (kind, relation, name, generated_by)
      select 'function', target::text, w.name, 'private.enable_audit'
      from pg_catalog.unnest(writers) as w(name)
      on conflict do nothing;
    end if;
  end if;
end;
$$;

revoke execute on function private.request_client() from public, anon, authenticated, service_role;
revoke execute on function private.audit_actor() from public, anon, authenticated, service_role;
revoke execute on function private.refuse_key_change() from public, anon, authenticated, service_role;
revoke execute on function private.enable_audit(regclass, text, text) from public, anon, authenticated, service_role;

-- Tables audited before writers were generated per table (their triggers call the
-- generic private.audit_insert(), audit_update() or audit_delete()): given theirs,
-- then the generic ones go, with the column names the triggers were created with (their
-- arguments). A table whose key or
-- organization column has since been renamed or dropped keeps its generic triggers,
-- with a warning, until enable_audit is run for it with the new names: the upgrade
-- never fails on it.
do $$
declare
  audited record;
  generic regprocedure;
begin
  for audited in
    select distinct t.tgrelid::regclass as target, private.trigger_arguments(t.tgargs) as args
    from pg_catalog.pg_trigger t
    where t.tgfoid in (pg_catalog.to_regprocedure('private.audit_insert()'),
                       pg_catalog.to_regprocedure('private.audit_update()'),
                       pg_catalog.to_regprocedure('private.audit_delete()'))
  loop
    begin
      perform private.enable_audit(audited.target, audited.args[1], nullif(audited.args[2], ''));
    exception when undefined_column then
      raise warning 'audit of % not upgraded: %', audited.target, sqlerrm
        using hint = 'run private.enable_audit for it with its key and organization columns as they are now';
    end;
  end loop;
  foreach generic in array array[pg_catalog.to_regprocedure('private.audit_insert()'),
                                 pg_catalog.to_regprocedure('private.audit_update()'),
                                 pg_catalog.to_regprocedure('private.audit_delete()')] loop
    if generic is not null and not exists (select 1 from pg_catalog.pg_trigger t where t.tgfoid = generic) then
      execute pg_catalog.format('drop function %s', generic);
    end if;
  end loop;
end;
$$;

select private.enable_audit('public.organizations', 'id', 'id');
select private.enable_audit('public.organization_members', 'id', 'organization_id');
select private.enable_audit('public.subscriptions', 'id', 'organization_id');
select private.enable_audit('public.projects', 'id', 'organization_id');
select private.enable_audit('public.profiles', 'id');
