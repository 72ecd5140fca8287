-- Undo 0001_foundation.
-- `private` also holds repeatable functions (sql/functions) and the triggers that
-- use them, which no versioned migration owns: cascade removes them with it.
drop type if exists public.subscription_status;
drop type if exists public.user_role;
drop schema if exists private cascade;
