-- bench/audit.py: the update writer shipped before the generated ones (until
-- sql/functions/078_audit_update_writer.sql): one generic function for every table,
-- both rows turned into jsonb, joined on the key as jsonb, the changed columns found
-- by walking the new row's keys; it stores the whole rows, old and new. Kept as the
-- design the generated writer is measured against. Bench only.

create function bench.generic_audit_update()
returns trigger
language plpgsql
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set enable_nestloop = off
set jit = off
as $$
declare
  key_column text := tg_argv[0];
  organization_column text := nullif(tg_argv[1], '');
begin
  with context as materialized (
    select auth.uid() as actor, c.ip_address, c.user_agent from private.request_client() c
  )
  insert into public.audit_logs
    (organization_id, user_id, action, entity_type, entity_id, old_values, new_values, changed_keys,
     ip_address, user_agent)
  select (j.nv ->> organization_column)::uuid, x.actor,
         case
           when j.ov ->> 'deleted_at' is null and j.nv ->> 'deleted_at' is not null then 'soft_delete'
           when j.ov ->> 'deleted_at' is not null and j.nv ->> 'deleted_at' is null then 'restore'
           else 'update'
         end,
         tg_table_name, j.nv ->> key_column, j.ov, j.nv, j.changed, x.ip_address, x.user_agent
  from context x
  cross join (
    select d.ov, d.nv,
           array(
             select e.key from pg_catalog.jsonb_each(d.nv) e
             where e.key <> 'updated_at' and e.value is distinct from d.ov -> e.key
             order by e.key
           ) as changed
    from (
      select o.v as ov, n.v as nv
      from (select pg_catalog.to_jsonb(o) as v from old_rows o offset 0) o
      join (select pg_catalog.to_jsonb(n) as v from new_rows n offset 0) n on n.v -> key_column = o.v -> key_column
    ) d
    offset 0
  ) j
  where j.changed <> '{}';
  return null;
end;
$$;
