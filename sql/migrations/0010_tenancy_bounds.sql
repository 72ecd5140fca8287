-- depends: 0009_audit_and_trash_indexes

-- Every check below takes a brief lock on its table: fail fast, never queue behind traffic.
set local lock_timeout = '5s';

-- Bounds on every text and jsonb column a caller can write (docs/tenancy.md, "Bounds").
-- A megabyte name, URL or settings object is refused with the constraint's name in the
-- error (it names the column), never stored. Added `not valid` (new writes are checked
-- at once); 0012_tenancy_bounds_validate checks the rows already there.
alter table public.profiles add constraint profiles_email_length check (char_length(email) <= 320) not valid;
alter table public.profiles add constraint profiles_name_length check (char_length(name) <= 100) not valid;
alter table public.profiles add constraint profiles_avatar_url_length check (char_length(avatar_url) <= 2048) not valid;

-- The slug's format already bounds it (3-48 characters); stated as a length too, so the
-- bound is visible to the doctor and to readers.
alter table public.organizations add constraint organizations_slug_length check (char_length(slug) <= 48) not valid;
alter table public.organizations add constraint organizations_logo_url_length check (char_length(logo_url) <= 2048) not valid;
alter table public.organizations add constraint organizations_settings_size
  check (octet_length(settings::text) <= 8192) not valid;

alter table public.projects add constraint projects_name_length check (char_length(name) <= 100) not valid;

alter table public.subscriptions add constraint subscriptions_stripe_customer_id_length
  check (char_length(stripe_customer_id) <= 255) not valid;
alter table public.subscriptions add constraint subscriptions_stripe_subscription_id_length
  check (char_length(stripe_subscription_id) <= 255) not valid;
alter table public.subscriptions add constraint subscriptions_stripe_price_id_length
  check (char_length(stripe_price_id) <= 255) not valid;

alter table private.invitations add constraint invitations_email_length check (char_length(email) <= 320) not valid;

-- Least privilege for what is created from now on (Supabase's default privileges, which
-- the compatibility bootstrap mirrors, grant everything in `public` to anon, and Postgres
-- grants EXECUTE on every function to public). Signed-out callers get nothing they are
-- not explicitly granted, so one forgotten policy or revoke cannot become a hole.
alter default privileges in schema public revoke insert, update, delete, truncate, references, trigger on tables from anon;
alter default privileges in schema public revoke execute on functions from anon;
alter default privileges revoke execute on functions from public;
