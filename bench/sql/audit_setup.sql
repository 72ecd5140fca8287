-- bench/audit.py: what the audit bench measures on, in a migrated database.
-- Run after set_config('bench.bulk_orgs' | 'bench.member_id' | 'bench.member_email' |
-- 'bench.admin_id', ...) (bench/audit.py's constants), and after the three designs
-- it compares (audit_legacy.sql, audit_staged.sql, audit_generic_update.sql). Bench only.

-- The bulk rows' organizations.
insert into public.organizations (id, name, slug)
select md5('bulk-org' || o)::uuid, 'Bulk organization ' || o, 'bulk-org-' || o
from generate_series(1, current_setting('bench.bulk_orgs')::int) o;

-- One copy of public.projects per design measured: plain (unaudited), audited (the
-- shipped triggers), generic (the generic insert and whole-row update writers shipped
-- before), staged and legacy.
do $$
declare
  design text;
begin
  foreach design in array array['plain', 'audited', 'generic', 'staged', 'legacy'] loop
    execute format('create table bench.%I (like public.projects including all)', 'projects_' || design);
    execute format(
      'alter table bench.%I '
      'add foreign key (organization_id) references public.organizations (id) on delete cascade, '
      'add foreign key (deleted_by) references public.profiles (id) on delete set null',
      'projects_' || design);
  end loop;
end;
$$;

select private.enable_audit('bench.projects_audited', 'id', 'organization_id');
select private.enable_audit('bench.projects_generic', 'id', 'organization_id');
create or replace trigger audit_insert after insert on bench.projects_generic
  referencing new table as new_rows
  for each statement execute function bench.generic_audit_insert('id', 'organization_id');
create or replace trigger audit_update after update on bench.projects_generic
  referencing old table as old_rows new table as new_rows
  for each statement execute function bench.generic_audit_update('id', 'organization_id');
select bench.enable_staged_audit('bench.projects_staged', 'id', 'organization_id');
select bench.enable_legacy_audit('bench.projects_legacy', 'id', 'organization_id');

-- The member of the single-row and REST parts, its organization and membership (as GoTrue writes users).
insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
values (current_setting('bench.member_id')::uuid, 'authenticated', 'authenticated', current_setting('bench.member_email'),
        '{"name": "Bench Member"}', '{"provider": "email", "providers": ["email"]}', now(), now());
insert into public.organizations (id, name, slug) values (md5('rest-org')::uuid, 'REST organization', 'rest-org');
insert into public.organization_members (organization_id, user_id, role)
values (md5('rest-org')::uuid, current_setting('bench.member_id')::uuid, 'member');

-- An unaudited projects, exposed like projects: foreign keys, RLS, grants (its policies
-- are projects' own, copied from the catalog by audit_copy_policies.sql).
create table public.bench_projects_plain (like public.projects including all);
alter table public.bench_projects_plain
  add foreign key (organization_id) references public.organizations (id) on delete cascade,
  add foreign key (deleted_by) references public.profiles (id) on delete set null;
alter table public.bench_projects_plain enable row level security;
revoke insert, update on public.bench_projects_plain from anon, authenticated;
grant insert (id, name, organization_id) on public.bench_projects_plain to authenticated;
grant update (name) on public.bench_projects_plain to authenticated;
revoke truncate, references, trigger on public.bench_projects_plain from anon, authenticated;

-- The admin reading the log: of one organization that exists (the entries' other
-- organizations need not: audit_logs has no foreign key).
insert into auth.users (id, email, raw_user_meta_data)
values (current_setting('bench.admin_id')::uuid, 'admin@bench.test', '{"name": "Bench Admin"}');
insert into public.organizations (id, name, slug) values (md5('list-org-0')::uuid, 'Listed organization', 'list-org');
insert into public.organization_members (organization_id, user_id, role)
values (md5('list-org-0')::uuid, current_setting('bench.admin_id')::uuid, 'admin');
