-- Foundation: the `private` schema and the enums the tables share.

-- `private` holds helper and trigger functions. PostgREST does not expose it, and
-- nobody but its owner may use it: grants are added only where a later feature
-- needs one (e.g. policy helpers called as `authenticated`).
create schema if not exists private;
revoke all on schema private from public;

-- A member's role, in an organization (organization_members.role) and globally
-- (profiles.role).
create type public.user_role as enum ('admin', 'member', 'viewer');

-- Mirrors Stripe's subscription states that the app distinguishes.
create type public.subscription_status as enum ('active', 'canceled', 'past_due', 'trialing');
