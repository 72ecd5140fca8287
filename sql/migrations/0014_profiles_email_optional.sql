-- depends: 0013_audit_logs_copy

-- A profile's email may be empty, because GoTrue allows what a required unique
-- profile email cannot follow: two SSO accounts with one email (auth.users'
-- email is unique only among non-SSO accounts), and an email released by a soft
-- delete and signed up again. The email stays unique among profiles that have
-- one (profiles_email_key): the first account keeps it, a later duplicate gets a
-- profile without one (sql/functions/020_profiles_from_auth_users.sql).
-- Dropping not null is a catalog change (no scan); the lock is brief, never queued behind traffic.
set local lock_timeout = '5s';
alter table public.profiles alter column email drop not null;
