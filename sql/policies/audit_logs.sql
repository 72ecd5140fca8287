-- audit_logs: an organization's admins read its log; nobody edits or deletes it
-- through the API, not even the service role (retention is an RPC of its own,
-- public.purge_audit_logs, which drops whole monthly partitions). The partitions
-- live in the private schema, which no API role may use: audit_logs is the only
-- way in, and its policy applies to every partition read through it.

drop policy if exists audit_logs_select on public.audit_logs;
create policy audit_logs_select on public.audit_logs
  for select to authenticated
  using (organization_id = any (array(select private.my_org_ids('{admin}'))));

revoke insert, update, delete, truncate, references, trigger on public.audit_logs from anon, authenticated;
revoke update, delete, truncate, references, trigger on public.audit_logs from service_role;
