-- Undo 0003_organizations.
-- Repeatable functions take these tables' row types as their return types (e.g.
-- public.create_organization returns public.organizations): cascade drops them
-- too, and the rollback makes the next migrate re-apply every repeatable.
drop table if exists public.organization_members cascade;
drop table if exists public.organizations cascade;
