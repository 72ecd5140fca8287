-- Undo 0003_organizations.
drop table if exists public.organization_members;
drop table if exists public.organizations;
