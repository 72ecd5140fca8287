-- bench/audit.py: the insert writer shipped before the generated ones (until
-- sql/functions/079_audit_row_writers.sql): one generic function for every table,
-- which turns each new row into jsonb first, reads its organization and key back out
-- of the jsonb (their names are trigger arguments), and sorts the jsonb rows by
-- organization. Kept as the design the generated writer is measured against, on
-- bench.projects_generic (audit_setup.sql points its audit_insert trigger here).
-- Bench only.

create function bench.generic_audit_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set jit = off
as $$
declare
  actor uuid := auth.uid();
  client record := private.request_client();
  id_prefix text := pg_catalog.left(pg_catalog.gen_random_uuid()::text, 24);
begin
  insert into public.audit_logs
    (id, organization_id, user_id, action, entity_type, entity_id, new_values, ip_address, user_agent)
  select (id_prefix || pg_catalog.to_hex(281474976710655 - pg_catalog.row_number() over (order by r.organization_id)))::uuid,
         r.organization_id, actor, 'create', tg_table_name,
         r.v ->> tg_argv[0], r.v, client.ip_address, client.user_agent
  from (select e.v, (e.v ->> nullif(tg_argv[1], ''))::uuid as organization_id
        from (select pg_catalog.to_jsonb(n) as v from new_rows n offset 0) e) r;
  return null;
end;
$$;
