-- updated_at belongs to the database: every update of a row sets it to the
-- time of the updating transaction, whatever value the caller sent.
-- Used by: profiles, organizations, subscriptions, projects.

create or replace function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end;
$$;

-- A trigger function is never for callers (Postgres grants EXECUTE to public).
revoke execute on function private.touch_updated_at() from public, anon, authenticated, service_role;

create or replace trigger profiles_touch_updated_at
  before update on public.profiles
  for each row execute function private.touch_updated_at();

create or replace trigger organizations_touch_updated_at
  before update on public.organizations
  for each row execute function private.touch_updated_at();

create or replace trigger subscriptions_touch_updated_at
  before update on public.subscriptions
  for each row execute function private.touch_updated_at();

create or replace trigger projects_touch_updated_at
  before update on public.projects
  for each row execute function private.touch_updated_at();
