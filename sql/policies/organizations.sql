-- organizations: members read their organizations; admins update and delete them.
-- They are created only by public.create_organization (with their admin and trial
-- in one transaction): no insert policy.

drop policy if exists organizations_select on public.organizations;
create policy organizations_select on public.organizations
  for select to authenticated
  using (id = any (array(select private.my_org_ids())));

drop policy if exists organizations_update on public.organizations;
create policy organizations_update on public.organizations
  for update to authenticated
  using (id = any (array(select private.my_org_ids('{admin}'))))
  with check (id = any (array(select private.my_org_ids('{admin}'))));

drop policy if exists organizations_delete on public.organizations;
create policy organizations_delete on public.organizations
  for delete to authenticated
  using (id = any (array(select private.my_org_ids('{admin}'))));

revoke truncate, references, trigger on public.organizations from anon, authenticated, service_role;
