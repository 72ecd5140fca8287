-- depends: 0007_invitations

set local lock_timeout = '5s';

-- Which keys an update changed (null for other actions): what a reader of the log
-- wants first, without diffing old_values and new_values. Nullable, no default: no
-- table rewrite.
alter table public.audit_logs add column changed_keys text[];
