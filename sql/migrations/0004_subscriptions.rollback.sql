-- Undo 0004_subscriptions.
-- Dropping takes ACCESS EXCLUSIVE locks on the tables (and, through foreign keys and
-- triggers, on their parents): fail fast, never queue behind traffic.
set local lock_timeout = '5s';
drop table if exists public.subscriptions;
