-- bench/audit.py: the shipped table, with updates recorded as whole rows (old and
-- new), as before issue 13, against the shipped changed-columns-only update
-- (private.audit_update). Same context, same no-op rule, same actions. Bench only.

create function bench.full_audit_update()
returns trigger language plpgsql security definer set search_path = '' set jit = off as $$
begin
  execute pg_catalog.format($sql$
    with context as materialized (
      select auth.uid() as actor, c.ip_address, c.user_agent from private.request_client() c
    )
    insert into public.audit_logs
      (organization_id, user_id, action, entity_type, entity_id, old_values, new_values, changed_keys,
       ip_address, user_agent)
    select (c.nv ->> %3$L)::uuid, x.actor,
           case
             when c.ov ->> 'deleted_at' is null and c.nv ->> 'deleted_at' is not null then 'soft_delete'
             when c.ov ->> 'deleted_at' is not null and c.nv ->> 'deleted_at' is null then 'restore'
             else 'update'
           end,
           $1, c.nv ->> %1$L, c.ov, c.nv, c.changed, x.ip_address, x.user_agent
    from context x
    cross join (
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
    where c.changed <> '{}'
  $sql$, tg_argv[0], tg_argv[0], nullif(tg_argv[1], ''))
  using tg_table_name;
  return null;
end;
$$;
