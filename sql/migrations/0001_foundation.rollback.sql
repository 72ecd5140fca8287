-- Undo 0001_foundation.
-- `private` also holds repeatable functions (sql/functions) and the triggers that
-- use them, which no versioned migration owns: cascade removes them with it. RPCs
-- in `public` take the enums as argument types: cascade removes those too.
drop schema if exists private cascade;
drop type if exists public.subscription_status cascade;
drop type if exists public.user_role cascade;
