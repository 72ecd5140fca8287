-- The audit trail: every insert, update and delete of an audited table becomes a
-- row of public.audit_logs, whichever path wrote it (REST, an RPC, plain SQL).
-- Statement-level triggers with transition tables: one insert into the log per
-- statement, not one per row (bench/audit.py measures both). The table's key and
-- organization columns are trigger arguments, so no row needs a catalog lookup.
-- Who: auth.uid() (null for the service role and for migrations). Where from:
-- PostgREST's request.headers (x-forwarded-for's first hop, else x-real-ip; the
-- user agent). An update that changes nothing but updated_at writes nothing.
-- The functions are security definer (callers may not write the log themselves)
-- with search_path pinned and only built-ins and schema-qualified names.

-- The caller's client, from the headers PostgREST puts in request.headers.
create or replace function private.request_client(out ip_address text, out user_agent text)
language sql
stable
set search_path = ''
as $$
  with h as (select nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb as headers)
  select coalesce(
           nullif(pg_catalog.btrim(pg_catalog.split_part(h.headers ->> 'x-forwarded-for', ',', 1)), ''),
           nullif(h.headers ->> 'x-real-ip', '')),
         h.headers ->> 'user-agent'
  from h
$$;

-- The acting user as a profile id (a user without a profile, or no user: null).
create or replace function private.audit_actor()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select p.id from public.profiles p where p.id = auth.uid()
$$;

-- TG_ARGV[0]: key column; TG_ARGV[1]: organization column ('' when none).
-- The client and the actor are computed inside each insert's own plan, which
-- PL/pgSQL keeps across transactions (a function call in DECLARE would be parsed and
-- planned again in every request: bench/audit.py measured it per POST).
create or replace function private.audit_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.audit_logs
    (organization_id, user_id, action, entity_type, entity_id, new_values, ip_address, user_agent)
  select o.id, (select p.id from public.profiles p where p.id = auth.uid()), 'create', tg_table_name,
         r.v ->> tg_argv[0], r.v,
         coalesce(nullif(pg_catalog.btrim(pg_catalog.split_part(h.headers ->> 'x-forwarded-for', ',', 1)), ''),
                  nullif(h.headers ->> 'x-real-ip', '')),
         h.headers ->> 'user-agent'
  from (select nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb as headers) h
  cross join (select pg_catalog.to_jsonb(n) as v from new_rows n) r
  left join public.organizations o on o.id = (r.v ->> nullif(tg_argv[1], ''))::uuid;
  return null;
end;
$$;

-- Executed, not cached: a plan cached at the connection's first update would keep
-- that statement's row estimates for every later one (a single-row estimate turns a
-- 1,000-row update's join quadratic). Old and new rows are joined on the key column
-- itself; JIT is off (the join's estimate makes it compile for ~170 ms).
create or replace function private.audit_update()
returns trigger
language plpgsql
security definer
set search_path = ''
set jit = off
as $$
begin
  execute pg_catalog.format($sql$
    insert into public.audit_logs
      (organization_id, user_id, action, entity_type, entity_id, old_values, new_values, changed_keys,
       ip_address, user_agent)
    select o.id, (select p.id from public.profiles p where p.id = auth.uid()),
           case
             when c.ov ->> 'deleted_at' is null and c.nv ->> 'deleted_at' is not null then 'soft_delete'
             when c.ov ->> 'deleted_at' is not null and c.nv ->> 'deleted_at' is null then 'restore'
             else 'update'
           end,
           $1, c.nv ->> %1$L, c.ov, c.nv, c.changed,
           coalesce(nullif(pg_catalog.btrim(pg_catalog.split_part(h.headers ->> 'x-forwarded-for', ',', 1)), ''),
                    nullif(h.headers ->> 'x-real-ip', '')),
           h.headers ->> 'user-agent'
    from (
      select j.ov, j.nv,
             array(
               select e.key from pg_catalog.jsonb_each(j.nv) e
               where e.key <> 'updated_at' and e.value is distinct from j.ov -> e.key
               order by e.key
             ) as changed
      from (
        select pg_catalog.to_jsonb(o) as ov, pg_catalog.to_jsonb(n) as nv
        from old_rows o join new_rows n on n.%2$I = o.%2$I
      ) j
      offset 0
    ) c
    cross join (select nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb as headers) h
    left join public.organizations o on o.id = (c.nv ->> %3$L)::uuid
    where c.changed <> '{}'
  $sql$, tg_argv[0], tg_argv[0], nullif(tg_argv[1], ''))
  using tg_table_name;
  return null;
end;
$$;

create or replace function private.audit_delete()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A deleted organization takes its rows with it: their entries keep no organization
  -- (the left join finds none), as audit_logs.organization_id's `on delete set null` would.
  insert into public.audit_logs
    (organization_id, user_id, action, entity_type, entity_id, old_values, ip_address, user_agent)
  select o.id, (select p.id from public.profiles p where p.id = auth.uid()),
         case when r.v ->> 'deleted_at' is not null then 'purge' else 'delete' end,
         tg_table_name, r.v ->> tg_argv[0], r.v,
         coalesce(nullif(pg_catalog.btrim(pg_catalog.split_part(h.headers ->> 'x-forwarded-for', ',', 1)), ''),
                  nullif(h.headers ->> 'x-real-ip', '')),
         h.headers ->> 'user-agent'
  from (select nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb as headers) h
  cross join (select pg_catalog.to_jsonb(d) as v from old_rows d) r
  left join public.organizations o on o.id = (r.v ->> nullif(tg_argv[1], ''))::uuid;
  return null;
end;
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
-- (organization null for tables that belong to no organization).
create or replace function private.enable_audit(target regclass, key text, organization text default null)
returns void
language plpgsql
set search_path = ''
as $$
declare
  args text := pg_catalog.format('%L, %L', key, coalesce(organization, ''));
begin
  execute pg_catalog.format(
    'create or replace trigger audit_insert after insert on %s referencing new table as new_rows '
    'for each statement execute function private.audit_insert(%s)', target, args);
  execute pg_catalog.format(
    'create or replace trigger audit_update after update on %s referencing old table as old_rows new table as new_rows '
    'for each statement execute function private.audit_update(%s)', target, args);
  execute pg_catalog.format(
    'create or replace trigger audit_delete after delete on %s referencing old table as old_rows '
    'for each statement execute function private.audit_delete(%s)', target, args);
  -- Old and new rows are matched by key: a key never changes.
  execute pg_catalog.format(
    'create or replace trigger audit_key_is_fixed before update of %1$I on %2$s for each row '
    'when (old.%1$I is distinct from new.%1$I) execute function private.refuse_key_change(%3$L)',
    key, target, key);
end;
$$;

revoke execute on function private.request_client() from public, anon, authenticated, service_role;
revoke execute on function private.audit_actor() from public, anon, authenticated, service_role;
revoke execute on function private.audit_insert() from public, anon, authenticated, service_role;
revoke execute on function private.audit_update() from public, anon, authenticated, service_role;
revoke execute on function private.audit_delete() from public, anon, authenticated, service_role;
revoke execute on function private.refuse_key_change() from public, anon, authenticated, service_role;
revoke execute on function private.enable_audit(regclass, text, text) from public, anon, authenticated, service_role;

select private.enable_audit('public.organizations', 'id', 'id');
select private.enable_audit('public.organization_members', 'id', 'organization_id');
select private.enable_audit('public.subscriptions', 'id', 'organization_id');
select private.enable_audit('public.projects', 'id', 'organization_id');
select private.enable_audit('public.profiles', 'id');
