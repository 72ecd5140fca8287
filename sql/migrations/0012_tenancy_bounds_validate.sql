-- depends: 0011_audit_logs_partitioned

-- Validation scans each table under SHARE UPDATE EXCLUSIVE (reads and writes go on),
-- in its own transaction after 0010 committed the `not valid` checks.
set local lock_timeout = '5s';

alter table public.profiles validate constraint profiles_email_length;
alter table public.profiles validate constraint profiles_name_length;
alter table public.profiles validate constraint profiles_avatar_url_length;
alter table public.organizations validate constraint organizations_slug_length;
alter table public.organizations validate constraint organizations_logo_url_length;
alter table public.organizations validate constraint organizations_settings_size;
alter table public.projects validate constraint projects_name_length;
alter table public.subscriptions validate constraint subscriptions_stripe_customer_id_length;
alter table public.subscriptions validate constraint subscriptions_stripe_subscription_id_length;
alter table public.subscriptions validate constraint subscriptions_stripe_price_id_length;
alter table private.invitations validate constraint invitations_email_length;
