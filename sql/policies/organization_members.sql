-- organization_members: members see who else belongs to their organizations;
-- admins add, change and remove members; anyone may remove themselves (leave).
-- Nobody joins an organization they do not administer: the insert check asks for
-- admin of the row's organization. The last admin is kept by a constraint trigger
-- (sql/functions/040_keep_an_admin.sql), not by these policies.

drop policy if exists organization_members_select on public.organization_members;
create policy organization_members_select on public.organization_members
  for select to authenticated
  using (organization_id = any (array(select private.my_org_ids())));

drop policy if exists organization_members_insert on public.organization_members;
create policy organization_members_insert on public.organization_members
  for insert to authenticated
  with check (organization_id = any (array(select private.my_org_ids('{admin}'))));

drop policy if exists organization_members_update on public.organization_members;
create policy organization_members_update on public.organization_members
  for update to authenticated
  using (organization_id = any (array(select private.my_org_ids('{admin}'))))
  with check (organization_id = any (array(select private.my_org_ids('{admin}'))));

drop policy if exists organization_members_delete on public.organization_members;
create policy organization_members_delete on public.organization_members
  for delete to authenticated
  using (
    organization_id = any (array(select private.my_org_ids('{admin}')))
    or user_id = (select auth.uid())
  );

-- A membership belongs to one user: moving it to another user is a remove and an add.
revoke update on public.organization_members from anon, authenticated;
grant update (role) on public.organization_members to authenticated;
revoke truncate, references, trigger on public.organization_members from anon, authenticated, service_role;
