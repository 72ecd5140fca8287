-- The trash of projects: restore (admins and members), purge one for good (admins),
-- empty what has been in the trash longer than a given age (admins of the
-- organization, and the service role for every organization: a cron job). Each is
-- audited by the projects' triggers: restore, purge.

-- A project by id, for an RPC: missing and invisible look the same (no oracle).
create or replace function private.project_for(project_id uuid, roles public.user_role[], action text)
returns public.projects
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  found public.projects;
begin
  select * into found from public.projects p where p.id = project_for.project_id;
  if found is null then
    raise exception 'project % not found', project_for.project_id using errcode = 'PT404';
  end if;
  if not private.is_service_role() then
    begin
      perform private.require_org_role(found.organization_id, project_for.roles, action);
    exception when sqlstate 'PT404' then
      raise exception 'project % not found', project_for.project_id using errcode = 'PT404';
    end;
  end if;
  return found;
end;
$$;

create or replace function public.restore_project(project_id uuid)
returns public.projects
language plpgsql
security definer
set search_path = ''
as $$
declare
  found public.projects := private.project_for(restore_project.project_id, '{admin,member}', 'restore projects');
  restored public.projects;
begin
  if found.deleted_at is null then
    raise exception 'project % is not in the trash', found.id using errcode = 'P0001';
  end if;
  update public.projects p set deleted_at = null, deleted_by = null where p.id = found.id
  returning * into restored;
  return restored;
end;
$$;

create or replace function public.purge_project(project_id uuid)
returns public.projects
language plpgsql
security definer
set search_path = ''
as $$
declare
  found public.projects := private.project_for(purge_project.project_id, '{admin}', 'purge projects');
begin
  if found.deleted_at is null then
    raise exception 'project % is not in the trash', found.id
      using errcode = 'P0001', hint = 'delete it first: purging takes a project out of the trash for good';
  end if;
  delete from public.projects p where p.id = found.id;
  return found;
end;
$$;

-- Purge what has been in the trash for longer than `older_than` (the seed's 30-day
-- cleanup); returns how many projects were purged. The service role may omit the
-- organization to clean every one.
create or replace function public.empty_trash(organization_id uuid default null, older_than interval default interval '30 days')
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  purged integer;
begin
  if empty_trash.older_than is null or empty_trash.older_than < interval '0' then
    raise exception 'older_than must be zero or more, got %', empty_trash.older_than using errcode = '22023';
  end if;
  if not private.is_service_role() then
    if empty_trash.organization_id is null then
      raise exception 'give the organization whose trash to empty' using errcode = '22023';
    end if;
    perform private.require_org_role(empty_trash.organization_id, '{admin}', 'empty the trash');
  end if;
  delete from public.projects p
  where p.deleted_at < pg_catalog.now() - empty_trash.older_than
    and (empty_trash.organization_id is null or p.organization_id = empty_trash.organization_id);
  get diagnostics purged = row_count;
  return purged;
end;
$$;

revoke execute on function private.project_for(uuid, public.user_role[], text) from public, anon, authenticated, service_role;
revoke execute on function public.restore_project(uuid) from public, anon;
revoke execute on function public.purge_project(uuid) from public, anon;
revoke execute on function public.empty_trash(uuid, interval) from public, anon;
grant execute on function public.restore_project(uuid) to authenticated;
grant execute on function public.purge_project(uuid) to authenticated;
grant execute on function public.empty_trash(uuid, interval) to authenticated, service_role;
