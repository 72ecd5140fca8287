-- bench/audit.py: today's design before issue 13, side by side with the shipped one.
-- The audit_logs of migrations 0006-0009 (uuid primary key, foreign keys to
-- organizations and profiles with `on delete set null`, four btree indexes, ip as
-- text), as bench.audit_logs_legacy, and the trigger functions of
-- sql/functions/080_audit.sql as they were (a join to organizations per row, the
-- actor looked up in profiles), writing to it. Bench only: never migrated.

create table bench.audit_logs_legacy (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid references public.organizations (id) on delete set null,
  user_id uuid references public.profiles (id) on delete set null,
  action text not null,
  entity_type text not null,
  entity_id text,
  old_values jsonb,
  new_values jsonb,
  ip_address text,
  user_agent text,
  created_at timestamptz not null default now(),
  changed_keys text[],
  constraint audit_logs_legacy_action_check check (
    action in ('create', 'update', 'delete', 'soft_delete', 'restore', 'purge',
               'login', 'logout', 'invite', 'remove')
  )
);
create index on bench.audit_logs_legacy (user_id);
create index on bench.audit_logs_legacy (entity_type, entity_id);
create index on bench.audit_logs_legacy (created_at);
create index on bench.audit_logs_legacy (organization_id, created_at desc, id desc);
create or replace function bench.legacy_audit_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into bench.audit_logs_legacy
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
create or replace function bench.legacy_audit_update()
returns trigger
language plpgsql
security definer
set search_path = ''
set jit = off
as $$
begin
  execute pg_catalog.format($sql$
    insert into bench.audit_logs_legacy
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

create or replace function bench.legacy_audit_delete()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A deleted organization takes its rows with it: their entries keep no organization
  -- (the left join finds none), as audit_logs.organization_id's `on delete set null` would.
  insert into bench.audit_logs_legacy
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

-- Audit a bench table the way private.enable_audit did.
create function bench.enable_legacy_audit(target regclass, key text, organization text)
returns void
language plpgsql
as $$
declare
  args text := format('%L, %L', key, organization);
begin
  execute format('create trigger audit_insert after insert on %s referencing new table as new_rows '
                 'for each statement execute function bench.legacy_audit_insert(%s)', target, args);
  execute format('create trigger audit_update after update on %s referencing old table as old_rows new table as new_rows '
                 'for each statement execute function bench.legacy_audit_update(%s)', target, args);
  execute format('create trigger audit_delete after delete on %s referencing old table as old_rows '
                 'for each statement execute function bench.legacy_audit_delete(%s)', target, args);
end;
$$;
