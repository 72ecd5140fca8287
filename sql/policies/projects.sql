-- projects: members of an organization read its projects; admins and members
-- create, update and delete them (a delete moves a project to the trash:
-- sql/functions/090_soft_delete.sql); viewers only read. A project never moves to
-- another organization: only its name is updatable by API callers.

drop policy if exists projects_select on public.projects;
create policy projects_select on public.projects
  for select to authenticated
  using (organization_id = any (array(select private.my_org_ids())));

drop policy if exists projects_insert on public.projects;
create policy projects_insert on public.projects
  for insert to authenticated
  with check (organization_id = any (array(select private.my_org_ids('{admin,member}'))));

drop policy if exists projects_update on public.projects;
create policy projects_update on public.projects
  for update to authenticated
  using (organization_id = any (array(select private.my_org_ids('{admin,member}'))))
  with check (organization_id = any (array(select private.my_org_ids('{admin,member}'))));

drop policy if exists projects_delete on public.projects;
create policy projects_delete on public.projects
  for delete to authenticated
  using (organization_id = any (array(select private.my_org_ids('{admin,member}'))));

-- deleted_at and deleted_by are the database's to write (soft delete, restore):
-- nobody trashes a project in someone else's name, or hides it from the trash. The
-- id and the timestamps are the database's too. Signed-out callers write nothing.
revoke insert, update, delete on public.projects from anon, authenticated;
grant insert (name, organization_id) on public.projects to authenticated;
grant delete on public.projects to authenticated;
grant update (name) on public.projects to authenticated;
revoke truncate, references, trigger on public.projects from anon, authenticated, service_role;
