-- The update half of the audit trail, written per table: private.enable_audit
-- (080_audit.sql) generates one trigger function per audited table from its
-- columns, because a generic function has to turn both rows into jsonb and walk
-- them key by key to find what changed (bench/audit.py: a 100,000-row update
-- cost 3.7x the plain update that way, 1.7x generated).
-- The generated function compares old and new rows column by column, typed (a type
-- with no btree equality is compared as jsonb), joins them on the typed key and
-- stores the changed columns only: old_values and new_values hold each column that
-- changed, updated_at included; changed_keys names them, updated_at excluded; a row
-- whose only change is updated_at writes nothing. soft_delete and restore are told
-- apart by deleted_at, where the table has it.
-- A table whose columns changed after generation (added, dropped, renamed, retyped)
-- still gets every entry: the function compares the table's shape with the one it
-- was generated for, once per statement, and on a mismatch runs the generic,
-- jsonb-based query instead, until `private.enable_audit` is run again (the
-- migrator's repeatables and `supakit doctor`'s `audit-writer-stale` say when). That
-- query pairs old and new rows by the key and reads the organization under the names
-- they have now, found by their column numbers (a rename keeps a column's number); a
-- key dropped since (only `drop ... cascade` can, past audit_key_is_fixed) leaves
-- nothing to pair the rows by, and the update is refused rather than left unrecorded.
-- Entry ids: one random prefix per statement and, as the last 48 bits, a number
-- counting down from 2^48 - 1 in organization order. The keyset index is
-- (organization_id, created_at desc, id desc), so a statement's entries are
-- inserted in index order: each lands after the one before it, a full page splits
-- off as the rightmost insertions' pages do, and the index pages of the
-- organization being written stay in cache (random ids cost a quarter of an entry's
-- write, in page splits all over the index; ids numbered in the rows' own order
-- split a half-full page per organization).

-- A table's columns as the generated writer sees them: name and type (by name, the
-- same in every database built from the same files), in order.
create or replace function private.audit_shape(target regclass)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  -- PL/pgSQL, so the generated writers' per-statement check reuses a cached plan.
  return (
    select pg_catalog.string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ',' order by a.attnum)
    from pg_catalog.pg_attribute a
    where a.attrelid = target and a.attnum > 0 and not a.attisdropped);
end;
$$;

-- "this column differs between o and n", typed where the column's type (a domain's
-- base type) has btree equality, else as jsonb.
create or replace function private.audit_column_changed(target regclass, column_name text)
returns text
language sql
stable
set search_path = ''
as $$
  select case
    when exists (
      select 1 from pg_catalog.pg_opclass oc join pg_catalog.pg_am am on am.oid = oc.opcmethod
      where am.amname = 'btree' and oc.opcdefault
        and (oc.opcintype = b.oid
             or (oc.opcintype = 'pg_catalog.anyenum'::pg_catalog.regtype and b.typtype = 'e')
             or (oc.opcintype = 'pg_catalog.anyarray'::pg_catalog.regtype and b.typcategory = 'A')))
    then pg_catalog.format('o.%1$I is distinct from n.%1$I', column_name)
    else pg_catalog.format('pg_catalog.to_jsonb(o.%1$I) is distinct from pg_catalog.to_jsonb(n.%1$I)', column_name)
  end
  from pg_catalog.pg_attribute a
  join pg_catalog.pg_type t on t.oid = a.atttypid
  join pg_catalog.pg_type b on b.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
  where a.attrelid = target and a.attname = column_name
$$;

-- The generated function's statements: the typed one, and the generic one for a
-- table whose shape changed since.
create or replace function private.audit_update_writer_source(target regclass, key text, organization text)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  changed text;  -- changed columns but updated_at, as a text[] expression
  old_values text;
  new_values text;
  action text := '''update''';
  -- The key as text, as the insert and delete writers store it (from the row's jsonb):
  -- its type's own text for the types whose text jsonb keeps as it is (cheaper), the
  -- jsonb's text for any other (date and time types: ISO 8601 whatever the session's
  -- DateStyle; char(n): its padding), so an entity's entries share one entity_id.
  entity_id text := case
    when (with recursive base(oid, basetype) as (
            select t.oid, t.typbasetype from pg_catalog.pg_attribute a
            join pg_catalog.pg_type t on t.oid = a.atttypid
            where a.attrelid = target and a.attname = key
            union all
            select t.oid, t.typbasetype from base b join pg_catalog.pg_type t on t.oid = b.basetype
          )
          select b.oid from base b where b.basetype = 0)
         in ('pg_catalog.uuid'::pg_catalog.regtype, 'pg_catalog.text'::pg_catalog.regtype,
             'pg_catalog.varchar'::pg_catalog.regtype, 'pg_catalog.int2'::pg_catalog.regtype,
             'pg_catalog.int4'::pg_catalog.regtype, 'pg_catalog.int8'::pg_catalog.regtype,
             'pg_catalog.numeric'::pg_catalog.regtype)
    then pg_catalog.format('n.%I::text', key)
    else pg_catalog.format('pg_catalog.to_jsonb(n.%I) #>> ''{}''', key) end;
begin
  select
    'pg_catalog.array_remove(array[' || coalesce(pg_catalog.string_agg(
      pg_catalog.format('case when %s then %L end', c.test, a.attname),
      ', ' order by a.attnum) filter (where a.attname <> 'updated_at'), '') || ']::text[], null)',
    pg_catalog.string_agg(pg_catalog.format('case when %s then pg_catalog.jsonb_build_object(%L, o.%I) else ''{}''::jsonb end',
      c.test, a.attname, a.attname), ' || ' order by a.attnum),
    pg_catalog.string_agg(pg_catalog.format('case when %s then pg_catalog.jsonb_build_object(%L, n.%I) else ''{}''::jsonb end',
      c.test, a.attname, a.attname), ' || ' order by a.attnum)
  into changed, old_values, new_values
  from pg_catalog.pg_attribute a
  cross join lateral (select private.audit_column_changed(target, a.attname) as test) c
  where a.attrelid = target and a.attnum > 0 and not a.attisdropped;
  if exists (select 1 from pg_catalog.pg_attribute a
             where a.attrelid = target and a.attname = 'deleted_at' and not a.attisdropped) then
    action := 'case when o.deleted_at is null and n.deleted_at is not null then ''soft_delete'' '
              'when o.deleted_at is not null and n.deleted_at is null then ''restore'' else ''update'' end';
  end if;
  -- The statements of the writer (077_audit_writers.sql declares the request context).
  return pg_catalog.format($body$
  if private.audit_shape(tg_relid) is distinct from %1$L then
    -- The table changed shape since this function was generated: the generic writer,
    -- which finds the key and organization by the names they have now (by number).
    declare
      key_now text := %6$s;
      organization_now text := %9$s;
    begin
      if key_now is null then
        -- Old and new rows are paired by key: without it, no entry could be written.
        raise exception 'audit: the key column "%%" of %% is gone; its updates cannot be audited', %5$L, tg_relid::regclass
          using errcode = '55000',
                hint = pg_catalog.format('run select private.enable_audit(%%L, <key>, <organization>) with the columns it has now',
                                         tg_relid::regclass::text);
      end if;
      insert into public.audit_logs
        (id, organization_id, user_id, action, entity_type, entity_id, old_values, new_values, changed_keys,
         ip_address, user_agent)
      select (id_prefix || pg_catalog.to_hex(281474976710655 - j.i))::uuid,
             (j.nv ->> organization_now)::uuid, actor,
             case
               when j.ov ->> 'deleted_at' is null and j.nv ->> 'deleted_at' is not null then 'soft_delete'
               when j.ov ->> 'deleted_at' is not null and j.nv ->> 'deleted_at' is null then 'restore'
               else 'update'
             end,
             tg_table_name, j.nv ->> key_now, j.ov, j.nv, j.changed, client.ip_address, client.user_agent
      from (
        select d.ov, d.nv, pg_catalog.row_number() over (order by (d.nv ->> organization_now)::uuid) as i,
               array(
                 select e.key from pg_catalog.jsonb_each(d.nv) e
                 where e.key <> 'updated_at' and e.value is distinct from d.ov -> e.key
                 order by e.key
               ) as changed
        from (
          select o.v as ov, n.v as nv
          from (select pg_catalog.to_jsonb(o) as v from old_rows o offset 0) o
          join (select pg_catalog.to_jsonb(n) as v from new_rows n offset 0) n on n.v ->> key_now = o.v ->> key_now
        ) d
        offset 0
      ) j
      where j.changed <> '{}';
    end;
    return null;
  end if;
  insert into public.audit_logs
    (id, organization_id, user_id, action, entity_type, entity_id, old_values, new_values, changed_keys,
     ip_address, user_agent)
  select (id_prefix || pg_catalog.to_hex(281474976710655 - pg_catalog.row_number() over (order by r.organization_id)))::uuid,
         r.organization_id, actor, r.action, tg_table_name, r.entity_id, r.old_values, r.new_values, r.changed,
         client.ip_address, client.user_agent
  from (
    select %7$s as organization_id, %10$s as entity_id, %8$s as action, %2$s as changed,
           %3$s as old_values, %4$s as new_values
    from old_rows o join new_rows n on n.%5$I = o.%5$I
    offset 0
  ) r
  where r.changed <> '{}';
  return null;
$body$,
    private.audit_shape(target), changed, old_values, new_values, key,
    private.audit_column_now_source(target, key),
    case when organization is null then 'null::uuid' else pg_catalog.format('n.%I::uuid', organization) end,
    action, private.audit_column_now_source(target, organization), entity_id);
end;
$$;

-- (Re)create the table's update writer and return its name; private.enable_audit
-- points the table's audit_update trigger at it.
create or replace function private.create_audit_update_writer(target regclass, key text, organization text)
returns text
language sql
set search_path = ''
as $$
  select private.install_audit_writer(
    target, 'update', private.audit_update_writer_source(target, key, organization), nested_loops => false)
$$;

revoke execute on function private.audit_shape(regclass) from public, anon, authenticated, service_role;
revoke execute on function private.audit_column_changed(regclass, text) from public, anon, authenticated, service_role;
revoke execute on function private.audit_update_writer_source(regclass, text, text) from public, anon, authenticated, service_role;
revoke execute on function private.create_audit_update_writer(regclass, text, text) from public, anon, authenticated, service_role;

-- Writers generated from an earlier text of this file are generated again when it is
-- applied, with the columns their tables were audited with (the triggers'
-- arguments), so a change here reaches every audited table. Only writers made for
-- the table's present shape: a stale one stays stale (its arguments may name a
-- column that is gone, and generated again it would no longer see that it is stale)
-- until enable_audit runs for its table; a writer whose table was renamed keeps its
-- name and body until then too.
do $$
declare
  audited record;
begin
  for audited in
    select t.tgrelid::regclass as target, private.trigger_arguments(t.tgargs) as args
    from pg_catalog.pg_trigger t
    join pg_catalog.pg_proc p on p.oid = t.tgfoid
    where t.tgname = 'audit_update'
      and p.pronamespace = 'private'::regnamespace
      and p.proname = private.audit_writer_name(t.tgrelid, 'update')
      and pg_catalog.strpos(p.prosrc, pg_catalog.quote_literal(private.audit_shape(t.tgrelid))) > 0
  loop
    perform private.create_audit_update_writer(audited.target, audited.args[1], nullif(audited.args[2], ''));
  end loop;
end;
$$;
