-- depends: 0012_tenancy_bounds_validate
-- transactional: false

-- The entries of the table 0011 moved aside, into the partitioned audit_logs, in
-- batches of 10,000, oldest first, one short transaction each: writers are never
-- blocked behind the copy, and an interrupted run resumes where it stopped (each
-- batch moves its rows: deleted from the old table in the transaction that
-- inserts them). Then the old table goes.
-- ip_address was text: an address PostgreSQL cannot read as inet becomes null.

create or replace function pg_temp.audit_inet(address text)
returns inet
language plpgsql
immutable
set search_path = ''
as $$
begin
  return address::inet;
exception when others then
  return null;
end;
$$;

do $$
declare
  moved bigint;
begin
  loop
    with batch as (
      delete from private.audit_logs_0009 a
      where a.ctid = any (array(
        select b.ctid from private.audit_logs_0009 b order by b.created_at, b.id limit 10000))
      returning a.*
    )
    insert into public.audit_logs
      (id, organization_id, user_id, action, entity_type, entity_id, old_values, new_values,
       ip_address, user_agent, created_at, changed_keys)
    select b.id, b.organization_id, b.user_id, b.action, b.entity_type, b.entity_id, b.old_values, b.new_values,
           pg_temp.audit_inet(b.ip_address), pg_catalog.left(b.user_agent, 512), b.created_at, b.changed_keys
    from batch b;
    get diagnostics moved = row_count;
    commit;
    exit when moved = 0;
  end loop;
end;
$$;

set lock_timeout = '5s';
-- supakit-lint: ignore drop-table -- emptied into public.audit_logs just above (0011 moved it aside)
drop table private.audit_logs_0009;
reset lock_timeout;
