-- audit_logs: an organization's admins read its log; nobody edits or deletes it
-- through the API, not even the service role (retention is an RPC of its own).

drop policy if exists audit_logs_select on public.audit_logs;
create policy audit_logs_select on public.audit_logs
  for select to authenticated
  using (organization_id = any (array(select private.my_org_ids('{admin}'))));

revoke insert, update, delete, truncate, references, trigger on public.audit_logs from anon, authenticated;
revoke update, delete, truncate, references, trigger on public.audit_logs from service_role;
