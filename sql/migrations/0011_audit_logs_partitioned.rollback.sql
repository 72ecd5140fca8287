-- Undo 0011_audit_logs_partitioned: every entry back into the table of 0006-0009
-- (references to organizations and profiles that are gone become null, as its
-- foreign keys would have made them; addresses back to text), which returns to
-- public; the partitioned table goes with its partitions. Functions returning its
-- row type go with it: the migrator re-applies the repeatables.
set local lock_timeout = '5s';

insert into private.audit_logs_0009
  (id, organization_id, user_id, action, entity_type, entity_id, old_values, new_values,
   ip_address, user_agent, created_at, changed_keys)
select a.id, o.id, p.id, a.action, a.entity_type, a.entity_id, a.old_values, a.new_values,
       pg_catalog.host(a.ip_address), a.user_agent, a.created_at, a.changed_keys
from public.audit_logs a
left join public.organizations o on o.id = a.organization_id
left join public.profiles p on p.id = a.user_id;

drop table public.audit_logs cascade;

alter table private.audit_logs_0009 rename constraint audit_logs_0009_action_check to audit_logs_action_check;
alter index private.audit_logs_0009_organization_keyset_idx rename to audit_logs_organization_keyset_idx;
alter index private.audit_logs_0009_created_at_idx rename to audit_logs_created_at_idx;
alter index private.audit_logs_0009_entity_idx rename to audit_logs_entity_idx;
alter index private.audit_logs_0009_user_id_idx rename to audit_logs_user_id_idx;
alter index private.audit_logs_0009_pkey rename to audit_logs_pkey;
alter table private.audit_logs_0009 rename to audit_logs;
alter table private.audit_logs set schema public;

do $$
begin
  if pg_catalog.to_regclass('supakit_migrations.checksums') is not null then
    delete from supakit_migrations.checksums where kind = 'repeatable';
  end if;
end;
$$;
