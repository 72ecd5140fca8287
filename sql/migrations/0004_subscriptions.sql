-- depends: 0003_organizations

-- Creating a foreign key locks the referenced table: fail fast, never queue behind traffic.
set local lock_timeout = '5s';

-- subscriptions: an organization has at most one subscription (its Stripe
-- state), which goes with it. A Stripe subscription id belongs to one row (many
-- rows may have none yet).
create table public.subscriptions (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  stripe_customer_id text,
  stripe_subscription_id text,
  stripe_price_id text,
  status public.subscription_status not null default 'trialing',
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint subscriptions_organization_id_key unique (organization_id),
  -- Unique constraints treat nulls as distinct: this is "unique where not null".
  constraint subscriptions_stripe_subscription_id_key unique (stripe_subscription_id)
);

-- Stripe webhooks look subscriptions up by customer.
create index subscriptions_stripe_customer_id_idx on public.subscriptions (stripe_customer_id);

alter table public.subscriptions enable row level security;
