-- profiles: a user reads their own profile and those of the people they share an
-- organization with; updates only their own name and avatar. Profiles are created
-- and deleted with auth users (sql/functions/020_profiles_from_auth_users.sql), and
-- found by email only by the service role: no policy lets a user probe addresses.

drop policy if exists profiles_select on public.profiles;
create policy profiles_select on public.profiles
  for select to authenticated
  using (id = (select auth.uid()) or id = any (array(select private.co_member_ids())));

drop policy if exists profiles_update on public.profiles;
create policy profiles_update on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

-- Columns: role and email are not the user's to change (email follows auth.users),
-- whatever the default privileges granted.
revoke insert, update, delete, truncate, references, trigger on public.profiles from anon, authenticated;
revoke truncate, references, trigger on public.profiles from service_role;
grant update (name, avatar_url) on public.profiles to authenticated;
