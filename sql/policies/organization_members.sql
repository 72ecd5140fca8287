-- organization_members: members see who else belongs to their organizations;
-- admins change roles and remove members; anyone may remove themselves (leave).
-- Nobody is put into an organization without consenting: API callers insert no
-- memberships at all (no insert policy, no insert grant). People join by accepting an
-- invitation (public.accept_invitation) or by creating the organization; the
-- service role (which bypasses RLS) adds directly. The last admin is kept by a
-- constraint trigger (sql/functions/040_keep_an_admin.sql), not by these policies.

drop policy if exists organization_members_select on public.organization_members;
create policy organization_members_select on public.organization_members
  for select to authenticated
  using (organization_id = any (array(select private.my_org_ids())));

-- Replaced by the invitation flow: an admin's insert could add anyone, unasked.
drop policy if exists organization_members_insert on public.organization_members;

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
-- Signed-out callers write nothing; signed-in ones change a role or delete.
revoke insert, update, delete on public.organization_members from anon, authenticated;
grant update (role) on public.organization_members to authenticated;
grant delete on public.organization_members to authenticated;
revoke truncate, references, trigger on public.organization_members from anon, authenticated, service_role;
