-- Embedding an organization's log through PostgREST
-- (`/organizations?select=id,audit_logs(*)`): audit_logs has no foreign key (its
-- entries outlive the organization), so this computed relationship stands in for
-- one. Security invoker: audit_logs' own policy decides what the caller reads (an
-- organization's admins, its whole log; anyone else, nothing).
create or replace function public.audit_logs(public.organizations)
returns setof public.audit_logs
language sql
stable
set search_path = ''
rows 50
as $$
  select a.* from public.audit_logs a where a.organization_id = $1.id
$$;

revoke execute on function public.audit_logs(public.organizations) from public, anon;
grant execute on function public.audit_logs(public.organizations) to authenticated, service_role;
