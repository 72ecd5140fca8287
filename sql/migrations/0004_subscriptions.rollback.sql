-- Undo 0004_subscriptions.
drop table if exists public.subscriptions;
