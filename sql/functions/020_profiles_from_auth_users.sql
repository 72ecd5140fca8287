-- A profile follows its auth user: created when the auth user is inserted (name
-- from the sign-up metadata's "name"), its email kept equal to the auth user's.
-- Deletion needs no trigger: profiles.id references auth.users on delete cascade.
--
-- Auth users without an email (phone or anonymous sign-ups: auth.users.email is
-- nullable on Supabase) get no profile, because profiles.email is not null and
-- unique: a placeholder such as '' would collide for the second such user, and a
-- failing trigger here fails the sign-up itself. Their profile is created when an
-- email is first set. If an auth user's email is later cleared, the profile keeps
-- its last email rather than losing the row (and its memberships).
--
-- Both functions are security definer (they write public.profiles, which callers
-- of the auth API cannot), so they pin search_path to '' and qualify every name.

create or replace function private.handle_new_auth_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.email is null then
    return new;
  end if;
  insert into public.profiles (id, email, name)
  values (new.id, new.email, nullif(pg_catalog.btrim(new.raw_user_meta_data ->> 'name'), ''));
  return new;
end;
$$;

create or replace function private.sync_profile_email()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.email is null then
    return new;  -- keep the profile's last email (see above)
  end if;
  -- Upsert: a user who signed up without an email gets a profile now.
  insert into public.profiles (id, email, name)
  values (new.id, new.email, nullif(pg_catalog.btrim(new.raw_user_meta_data ->> 'name'), ''))
  on conflict (id) do update set email = excluded.email;
  return new;
end;
$$;

-- Trigger functions are never for callers (Postgres grants EXECUTE to public).
revoke execute on function private.handle_new_auth_user() from public, anon, authenticated, service_role;
revoke execute on function private.sync_profile_email() from public, anon, authenticated, service_role;

create or replace trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_auth_user();

create or replace trigger on_auth_user_email_updated
  after update of email on auth.users
  for each row
  when (old.email is distinct from new.email)
  execute function private.sync_profile_email();
