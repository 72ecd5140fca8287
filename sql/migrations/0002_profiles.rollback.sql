-- Undo 0002_profiles.
-- The auth.users triggers (sql/functions/020_profiles_from_auth_users.sql) write
-- into public.profiles; left behind, they would make every sign-up fail. They are
-- not tracked as dependents of the table, so drop them explicitly first.
-- Dropping takes ACCESS EXCLUSIVE locks on the tables (and, through foreign keys and
-- triggers, on their parents): fail fast, never queue behind traffic.
set local lock_timeout = '5s';
drop trigger if exists on_auth_user_created on auth.users;
drop trigger if exists on_auth_user_email_updated on auth.users;
drop function if exists private.handle_new_auth_user();
drop function if exists private.sync_profile_email();
drop table if exists public.profiles;
