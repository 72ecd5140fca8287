-- The insert and delete halves of the audit trail, written per table: a created row
-- is stored whole in new_values (action create), a deleted one in old_values
-- (action delete, or purge when it was in the trash: deleted_at set).
-- Generated from the table's key and organization columns (077_audit_writers.sql):
-- the statement's rows are sorted by their typed organization and turned into jsonb
-- once, as they are written; the generic form turned every row into jsonb first to
-- read its organization and key back out of it, and sorted the jsonb (bench/audit.py,
-- a 100,000-row insert: x1.56 the plain insert generic, x1.50 generated).
-- The whole row is `to_jsonb(r.*)`, so a column added, dropped or renamed since
-- generation is stored as it is now. Only the columns the writer names (key,
-- organization, deleted_at) can go stale: once per statement, a query that names
-- them and reads nothing is run in an exception block; if one of them was renamed,
-- dropped or retyped, the generic query writes the entries instead (organization
-- and key read by their old names from the jsonb), until private.enable_audit is
-- run again (`supakit doctor`'s `audit-writer-stale` says when). The check writes
-- nothing inside its subtransaction, so it takes no subtransaction id: a
-- transaction of many audited statements does not overflow the subtransaction cache.
-- Entry ids: one random prefix per statement and, as the last 48 bits, a number
-- counting down from 2^48 - 1 in organization order, as the update writer numbers
-- them (078_audit_update_writer.sql says why).
-- Rows deleted with their organization keep its id: the history stays attributable.

-- The body of a table's insert or delete writer.
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
  trashable boolean := exists (
    select 1 from pg_catalog.pg_attribute a
    where a.attrelid = target and a.attname = 'deleted_at' and a.attnum > 0 and not a.attisdropped);
  -- The typed query's expressions, which the per-statement check names too.
  typed_organization text := case when organization is null then 'null::uuid'
                                  else pg_catalog.format('r.%I::uuid', organization) end;
  typed_key text := pg_catalog.format('r.%I::text', key);
  typed_order text := case when organization is null then '' else 'order by ' || typed_organization end;
  typed_action text := case when is_insert then '''create'''
                            when trashable then 'case when r.deleted_at is not null then ''purge'' else ''delete'' end'
                            else '''delete''' end;
  generic_organization text := case when organization is null then 'null::uuid'
                                    else pg_catalog.format('(e.v ->> %L)::uuid', organization) end;
  generic_action text := case when is_insert then '''create'''
                              else 'case when r.v ->> ''deleted_at'' is not null then ''purge'' else ''delete'' end' end;
begin
  if operation not in ('insert', 'delete') then
    raise exception 'no row writer for operation %', operation using errcode = '22023';
  end if;
  return pg_catalog.format($body$
declare
  actor uuid := auth.uid();
  client record := private.request_client();
  id_prefix text := pg_catalog.left(pg_catalog.gen_random_uuid()::text, 24);
begin
  begin
    perform %1$s, %2$s, %3$s from %4$s r where false;
  exception when undefined_column or cannot_coerce or datatype_mismatch then
    -- A column named here changed since this function was generated: the generic query.
    insert into public.audit_logs
      (id, organization_id, user_id, action, entity_type, entity_id, %5$s, ip_address, user_agent)
    select (id_prefix || pg_catalog.to_hex(281474976710655 - pg_catalog.row_number() over (order by r.organization_id)))::uuid,
           r.organization_id, actor, %6$s, tg_table_name, r.v ->> %7$L, r.v, client.ip_address, client.user_agent
    from (select e.v, %8$s as organization_id
          from (select pg_catalog.to_jsonb(d.*) as v from %4$s d offset 0) e) r;
    return null;
  end;
  insert into public.audit_logs
    (id, organization_id, user_id, action, entity_type, entity_id, %5$s, ip_address, user_agent)
  select (id_prefix || pg_catalog.to_hex(281474976710655 - pg_catalog.row_number() over (%9$s)))::uuid,
         %1$s, actor, %3$s, tg_table_name, %2$s, pg_catalog.to_jsonb(r.*), client.ip_address, client.user_agent
  from %4$s r;
  return null;
end;
$body$,
    typed_organization, typed_key, typed_action, transition_table, values_column,
    generic_action, key, generic_organization, typed_order);
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
