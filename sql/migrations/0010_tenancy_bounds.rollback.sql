-- Undo 0010_tenancy_bounds.
set local lock_timeout = '5s';

alter default privileges grant execute on functions to public;
alter default privileges in schema public grant execute on functions to anon;
alter default privileges in schema public grant insert, update, delete, truncate, references, trigger on tables to anon;

alter table private.invitations drop constraint if exists invitations_email_length;
alter table public.subscriptions drop constraint if exists subscriptions_stripe_price_id_length;
alter table public.subscriptions drop constraint if exists subscriptions_stripe_subscription_id_length;
alter table public.subscriptions drop constraint if exists subscriptions_stripe_customer_id_length;
alter table public.projects drop constraint if exists projects_name_length;
alter table public.organizations drop constraint if exists organizations_settings_size;
alter table public.organizations drop constraint if exists organizations_logo_url_length;
alter table public.organizations drop constraint if exists organizations_slug_length;
alter table public.profiles drop constraint if exists profiles_avatar_url_length;
alter table public.profiles drop constraint if exists profiles_name_length;
alter table public.profiles drop constraint if exists profiles_email_length;
