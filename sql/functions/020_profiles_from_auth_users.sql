-- A profile follows its auth user: created when the auth user is inserted (name
-- from the sign-up metadata's "name", or "full_name" as Apple sign-ins fill it),
-- its email kept equal to the auth user's while no other profile holds it.
-- Deletion needs no trigger: profiles.id references auth.users on delete cascade.
--
-- The triggers must never fail what GoTrue allows, because a failing trigger
-- fails the sign-up or sign-in itself:
-- * Auth users without an email (phone or anonymous sign-ups) get no profile
--   until an email is first set.
-- * An email held by another profile (two SSO accounts with one email) is not
--   copied: the later account's profile has no email (profiles.email is unique).
--   If the holder no longer has that email in auth.users (cleared, changed or
--   soft-deleted), the email moves to the account that has it now.
-- * An auth email cleared later leaves the profile its last email (and its
--   memberships); GoTrue's soft delete (deleted_at set, email replaced by a hash)
--   clears the profile's email, so the address can be signed up again.
--
-- Both trigger functions are security definer (they write public.profiles, which
-- callers of the auth API cannot), so they pin search_path to '' and qualify
-- every name.

create or replace function private.handle_new_auth_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  holder uuid;
  profile_email text := new.email;
begin
  if new.email is null or new.email = '' or new.deleted_at is not null then
    return new;
  end if;
  -- The email, unless another account's profile holds it (see above).
  select p.id into holder from public.profiles as p where p.email = new.email and p.id <> new.id;
  if holder is not null then
    if exists (select 1 from auth.users as u
               where u.id = holder and u.email = new.email and u.deleted_at is null) then
      profile_email := null;  -- a real duplicate (SSO): the first account keeps it
    else
      update public.profiles set email = null where id = holder;  -- a stale claim: released
    end if;
  end if;
  insert into public.profiles (id, email, name)
  values (
    new.id,
    profile_email,
    coalesce(nullif(pg_catalog.btrim(new.raw_user_meta_data ->> 'name'), ''),
             nullif(pg_catalog.btrim(new.raw_user_meta_data ->> 'full_name'), ''))
  );
  return new;
end;
$$;

create or replace function private.sync_profile_email()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  holder uuid;
  profile_email text := new.email;
begin
  if new.deleted_at is not null then
    -- GoTrue's soft delete: the account is gone, its address is free again.
    update public.profiles set email = null where id = new.id;
    return new;
  end if;
  if new.email is null or new.email = '' then
    return new;  -- keep the profile's last email (see above)
  end if;
  -- The email, unless another account's profile holds it (see above).
  select p.id into holder from public.profiles as p where p.email = new.email and p.id <> new.id;
  if holder is not null then
    if exists (select 1 from auth.users as u
               where u.id = holder and u.email = new.email and u.deleted_at is null) then
      profile_email := null;  -- a real duplicate (SSO): the first account keeps it
    else
      update public.profiles set email = null where id = holder;  -- a stale claim: released
    end if;
  end if;
  -- Upsert: a user who signed up without an email gets a profile now.
  insert into public.profiles (id, email, name)
  values (
    new.id,
    profile_email,
    coalesce(nullif(pg_catalog.btrim(new.raw_user_meta_data ->> 'name'), ''),
             nullif(pg_catalog.btrim(new.raw_user_meta_data ->> 'full_name'), ''))
  )
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
  after update of email, deleted_at on auth.users
  for each row
  when (old.email is distinct from new.email or old.deleted_at is distinct from new.deleted_at)
  execute function private.sync_profile_email();
