-- bench/audit.py: the shipped table, with updates recorded as the changed columns
-- only (old and new, plus updated_at when it moved), against the shipped whole-row
-- update (private.audit_update). Same context, same no-op rule, same actions. Bench
-- only: measured slower than whole rows, not shipped.

create function bench.diff_audit_update()
returns trigger
language plpgsql
security definer
set search_path = ''
set jit = off
as $$
begin
  execute pg_catalog.format($sql$
    with context as materialized (
      select auth.uid() as actor, c.ip_address, c.user_agent from private.request_client() c
    )
    insert into public.audit_logs
      (organization_id, user_id, action, entity_type, entity_id, old_values, new_values, changed_keys,
       ip_address, user_agent)
    select (j.nv ->> %3$L)::uuid, x.actor,
           case
             when j.ov ->> 'deleted_at' is null and j.nv ->> 'deleted_at' is not null then 'soft_delete'
             when j.ov ->> 'deleted_at' is not null and j.nv ->> 'deleted_at' is null then 'restore'
             else 'update'
           end,
           $1, j.nv ->> %1$L, d.old_values, d.new_values, d.changed, x.ip_address, x.user_agent
    from context x
    cross join (
      select pg_catalog.to_jsonb(o) as ov, pg_catalog.to_jsonb(n) as nv
      from old_rows o join new_rows n on n.%2$I = o.%2$I
    ) j
    cross join lateral (
      select pg_catalog.array_agg(e.key order by e.key) filter (where e.key <> 'updated_at') as changed,
             pg_catalog.jsonb_object_agg(e.key, j.ov -> e.key) as old_values,
             pg_catalog.jsonb_object_agg(e.key, e.value) as new_values
      from pg_catalog.jsonb_each(j.nv) e
      where e.value is distinct from j.ov -> e.key
    ) d
    where d.changed is not null
  $sql$, tg_argv[0], tg_argv[0], nullif(tg_argv[1], ''))
  using tg_table_name;
  return null;
end;
$$;

