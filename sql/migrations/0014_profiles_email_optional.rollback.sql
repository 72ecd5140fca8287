-- Undo 0014_profiles_email_optional. Fails while a profile has no email: give those
-- profiles an email (or delete them) first.
alter table public.profiles alter column email set not null;
