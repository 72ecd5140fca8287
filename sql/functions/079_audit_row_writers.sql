-- The insert and delete halves of the audit trail, written per table: a created row
-- is stored whole in new_values (action create), a deleted one in old_values
-- (action delete, or purge when it was in the trash: deleted_at set).
-- Generated from the table's key and organization columns (077_audit_writers.sql):
-- the statement's rows are sorted by their typed organization and turned into jsonb
-- once, as they are written; the generic form turned every row into jsonb first to
-- read its organization and key back out of it, and sorted the jsonb (bench/audit.py,
-- a 100,000-row insert: x1.58-1.62 the plain insert generic, x1.48-1.52 generated,
-- three runs measuring both side by side).
-- The whole row is `to_jsonb(r.*)`, so a column added, dropped or renamed since
-- generation is stored as it is now, and a delete tells a purge (deleted_at set)
-- from the stored row too. Only the two columns the writer names (key, organization)
-- can go stale: once per statement, a query that names them and reads nothing is run
-- in an exception block; if one of them was renamed or dropped, or retyped to a type
-- that does not convert, the generic query writes the entries instead, until
-- private.enable_audit is run again (`supakit doctor`'s `audit-writer-stale` says
-- when). It reads organization and key from the jsonb by the names the columns have
-- now, found by their numbers (a rename keeps a column's number): a renamed key or
-- organization is still in every entry; a dropped one is null. The check writes
-- nothing inside its subtransaction, so it takes no subtransaction id: a
-- transaction of many audited statements does not overflow the subtransaction cache.
-- Entry ids: one random prefix per statement and, as the last 48 bits, a number
-- counting down from 2^48 - 1 in organization order, as the update writer numbers
-- them (078_audit_update_writer.sql says why).
-- Rows deleted with their organization keep its id: the history stays attributable.

-- The statements of a table's insert or delete writer (077_audit_writers.sql declares
-- the request context they read).
create or replace function private.audit_row_writer_source(
  target regclass, key text, organization text, operation text)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  is_insert boolean := operation = 'insert';
  transition_table text := case when is_insert then 'new_rows' else 'old_rows' end;
  values_column text := case when is_insert then 'new_values' else 'old_values' end;
  -- The columns the typed query depends on, as the per-statement check names them.
  typed_organization text := case when organization is null then 'null::uuid'
                                  else pg_catalog.format('r.%I::uuid', organization) end;
  typed_key text := pg_catalog.format('r.%I::text', key);
  typed_order text := case when organization is null then '' else 'order by ' || typed_organization end;
  -- Read from the stored row in both queries: a table that gains deleted_at after
  -- generation still has its trashed rows' deletes recorded as purges.
  action text := case when is_insert then '''create'''
                      else 'case when j.v ->> ''deleted_at'' is not null then ''purge'' else ''delete'' end' end;
begin
  if operation not in ('insert', 'delete') then
    raise exception 'no row writer for operation %', operation using errcode = '22023';
  end if;
  return pg_catalog.format($body$
  begin
    perform %1$s, %2$s from %4$s r where false;
  exception when undefined_column or cannot_coerce or datatype_mismatch then
    -- The key or organization column changed since this function was generated: the
    -- generic query, which reads them from the row's jsonb by the names they have now.
    declare
      key_now text := %6$s;
      organization_now text := %7$s;
    begin
      insert into public.audit_logs
        (id, organization_id, user_id, action, entity_type, entity_id, %5$s, ip_address, user_agent)
      select (id_prefix || pg_catalog.to_hex(281474976710655 - pg_catalog.row_number() over (order by j.organization_id)))::uuid,
             j.organization_id, actor, %3$s, tg_table_name, j.v ->> key_now, j.v, client.ip_address, client.user_agent
      from (select d.v, (d.v ->> organization_now)::uuid as organization_id
            from (select pg_catalog.to_jsonb(r.*) as v from %4$s r offset 0) d) j;
    end;
    return null;
  end;
  -- The rows are sorted by organization first; each becomes jsonb once, above the
  -- sort. The key is read back from the jsonb as text, as the generic query reads it:
  -- cheaper than the type's own text output (uuid_out), and the same text either way.
  insert into public.audit_logs
    (id, organization_id, user_id, action, entity_type, entity_id, %5$s, ip_address, user_agent)
  select (id_prefix || pg_catalog.to_hex(281474976710655 - j.i))::uuid,
         j.organization_id, actor, %3$s, tg_table_name, j.v ->> %9$L, j.v, client.ip_address, client.user_agent
  from (select %1$s as organization_id, pg_catalog.to_jsonb(r.*) as v,
               pg_catalog.row_number() over (%8$s) as i
        from %4$s r) j;
  return null;
$body$,
    typed_organization, typed_key, action, transition_table, values_column,
    private.audit_column_now_source(target, key), private.audit_column_now_source(target, organization),
    typed_order, key);
end;
$$;

-- (Re)create the table's insert or delete writer and return its name; private.enable_audit
-- points the table's audit_insert or audit_delete trigger at it.
create or replace function private.create_audit_row_writer(
  target regclass, key text, organization text, operation text)
returns text
language sql
set search_path = ''
as $$
  select private.install_audit_writer(
    target, operation, private.audit_row_writer_source(target, key, organization, operation))
$$;

revoke execute on function private.audit_row_writer_source(regclass, text, text, text) from public, anon, authenticated, service_role;
revoke execute on function private.create_audit_row_writer(regclass, text, text, text) from public, anon, authenticated, service_role;

-- Writers generated from an earlier text of this file are generated again when it is
-- applied, with the columns their tables were audited with (the triggers' arguments):
-- a change here reaches every audited table, not only those whose enable_audit runs
-- again. Until then, a writer keeps its name and body when its table was renamed
-- since, or when its key or organization was (only its body knows their numbers).
do $$
declare
  audited record;
begin
  for audited in
    select t.tgrelid::regclass as target, pg_catalog.substr(t.tgname, 7) as operation,
           private.trigger_arguments(t.tgargs) as args,
           pg_catalog.strpos(p.prosrc, 'private.audit_column_now(') > 0 as finds_by_number,
           pg_catalog.format('%I.%I', n.nspname, c.relname) as qualified
    from pg_catalog.pg_trigger t
    join pg_catalog.pg_proc p on p.oid = t.tgfoid
    join pg_catalog.pg_class c on c.oid = t.tgrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where t.tgname in ('audit_insert', 'audit_delete')
      and p.pronamespace = 'private'::regnamespace
      and p.proname = private.audit_writer_name(t.tgrelid, pg_catalog.substr(t.tgname, 7))
  loop
    if private.audit_column_number(audited.target, audited.args[1]) is null
       or (audited.args[2] <> '' and private.audit_column_number(audited.target, audited.args[2]) is null) then
      -- Writers of an earlier version read the columns by their old names: say so, once per table.
      if not audited.finds_by_number and audited.operation = 'insert' then
        raise warning 'the audit writers of % were generated before its key or organization column was renamed or dropped, by a version that reads them by name: new entries lack them, and its updates write none',
          audited.qualified
          using hint = pg_catalog.format('run select private.enable_audit(%L, <key>, <organization>) with the columns it has now',
                                         audited.qualified);
      end if;
      continue;
    end if;
    perform private.create_audit_row_writer(audited.target, audited.args[1], nullif(audited.args[2], ''),
                                            audited.operation);
  end loop;
end;
$$;
