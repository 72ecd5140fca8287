-- subscriptions: members read their organization's subscription; only the service
-- role (billing webhooks, which bypass RLS) writes it.

drop policy if exists subscriptions_select on public.subscriptions;
create policy subscriptions_select on public.subscriptions
  for select to authenticated
  using (organization_id = any (array(select private.my_org_ids())));

revoke insert, update, delete, truncate, references, trigger on public.subscriptions from anon, authenticated;
revoke truncate, references, trigger on public.subscriptions from service_role;
