-- organizations: members read their organizations; admins update them. They are
-- created only by public.create_organization (with their admin and trial in one
-- transaction) and deleted only by public.delete_organization (admins, naming the
-- slug): no insert or delete policy, so one stray REST DELETE cannot wipe a tenant.

drop policy if exists organizations_select on public.organizations;
create policy organizations_select on public.organizations
  for select to authenticated
  using (id = any (array(select private.my_org_ids())));

drop policy if exists organizations_update on public.organizations;
create policy organizations_update on public.organizations
  for update to authenticated
  using (id = any (array(select private.my_org_ids('{admin}'))))
  with check (id = any (array(select private.my_org_ids('{admin}'))));

-- Deleting is deliberate: an RPC that names the slug (sql/functions/050).
drop policy if exists organizations_delete on public.organizations;

-- Columns: id and the timestamps are the database's. Signed-out callers write nothing.
revoke insert, update, delete on public.organizations from anon, authenticated;
grant update (name, slug, logo_url, settings) on public.organizations to authenticated;
revoke truncate, references, trigger on public.organizations from anon, authenticated, service_role;
