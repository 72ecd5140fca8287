-- depends: 0006_audit_logs

-- Creating a foreign key locks the referenced table: fail fast, never queue behind traffic.
set local lock_timeout = '5s';

-- invitations: an admin invites an email address into an organization with a role.
-- The token is shown to the admin once; only its sha256 is stored, so a leaked
-- table does not let anyone join. A pending invitation expires (expires_at), can
-- be revoked, and is used once. Kept in `private`: PostgREST does not expose it,
-- and callers reach it only through the invitation RPCs (sql/functions).
create table private.invitations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  email text not null,
  role public.user_role not null default 'member',
  token_hash bytea not null,
  invited_by uuid references public.profiles (id) on delete set null,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_by uuid references public.profiles (id) on delete set null,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  constraint invitations_token_hash_key unique (token_hash),
  constraint invitations_email_format check (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  constraint invitations_used_once check (accepted_at is null or revoked_at is null)
);

-- At most one pending invitation per organization and address.
create unique index invitations_pending_email_key on private.invitations (organization_id, lower(email))
  where accepted_at is null and revoked_at is null;
-- An organization's invitations, and the cascade when it is deleted.
create index invitations_organization_id_idx on private.invitations (organization_id);
create index invitations_invited_by_idx on private.invitations (invited_by) where invited_by is not null;
create index invitations_accepted_by_idx on private.invitations (accepted_by) where accepted_by is not null;

-- Not exposed, but closed all the same: only its owner (the RPCs) reads it.
alter table private.invitations enable row level security;
