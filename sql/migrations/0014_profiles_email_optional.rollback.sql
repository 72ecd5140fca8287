-- Undo 0014_profiles_email_optional. Fails while a profile has no email: give those
-- profiles an email (or delete them) first.
set local lock_timeout = '5s';
-- supakit-lint: ignore set-not-null -- a rollback restoring 0002's constraint; profiles is small where one rolls back
alter table public.profiles alter column email set not null;
