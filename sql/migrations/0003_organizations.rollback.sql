-- Undo 0003_organizations.
-- Repeatable functions take these tables' row types as their return types (e.g.
-- public.create_organization returns public.organizations): cascade drops them
-- too, and the rollback makes the next migrate re-apply every repeatable.
-- Dropping takes ACCESS EXCLUSIVE locks on the tables (and, through foreign keys and
-- triggers, on their parents): fail fast, never queue behind traffic.
set local lock_timeout = '5s';
drop table if exists public.organization_members cascade;
drop table if exists public.organizations cascade;
