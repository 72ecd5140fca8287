-- Invitation RPCs. The token is 244 random bits (two v4 uuids), returned once by
-- invite_member; only its sha256 is stored (private.invitations). An invitation is
-- for one address: accept_invitation checks the caller's profile email, so a
-- forwarded or leaked link does not let someone else in.

create or replace function private.token_hash(token text)
returns bytea
language sql
immutable
set search_path = ''
as $$ select pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')) $$;

-- Invite an address with a role; a pending invitation for the same address is
-- replaced. Returns the token: show it to the admin (or email it), it is not kept.
create or replace function public.invite_member(
  organization_id uuid,
  email text,
  role public.user_role default 'member',
  valid_for interval default interval '7 days'
)
returns table (invitation_id uuid, token text, expires_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
declare
  address text := pg_catalog.lower(pg_catalog.btrim(invite_member.email));
  secret text := pg_catalog.replace(pg_catalog.gen_random_uuid()::text || pg_catalog.gen_random_uuid()::text, '-', '');
  created private.invitations;
begin
  perform private.require_org_role(invite_member.organization_id, '{admin}', 'invite members');
  if address is null or address !~ '^[^@[:space:]]+@[^@[:space:]]+$' then
    raise exception 'invalid email address "%"', invite_member.email using errcode = '22023';
  end if;
  if invite_member.valid_for is null or invite_member.valid_for <= interval '0'
     or pg_catalog.now() + invite_member.valid_for > pg_catalog.now() + interval '30 days' then
    raise exception 'valid_for must be between 0 and 30 days, got %', invite_member.valid_for using errcode = '22023';
  end if;
  if exists (
    select 1 from public.organization_members m join public.profiles p on p.id = m.user_id
    where m.organization_id = invite_member.organization_id and pg_catalog.lower(p.email) = address
  ) then
    raise exception '% is already a member of this organization', address using errcode = '23505';
  end if;
  update private.invitations i set revoked_at = pg_catalog.now()
  where i.organization_id = invite_member.organization_id and pg_catalog.lower(i.email) = address
    and i.accepted_at is null and i.revoked_at is null;
  insert into private.invitations (organization_id, email, role, token_hash, invited_by, expires_at)
  values (invite_member.organization_id, address, coalesce(invite_member.role, 'member'),
          private.token_hash(secret), auth.uid(), pg_catalog.now() + invite_member.valid_for)
  returning * into created;
  insert into public.audit_logs (organization_id, user_id, action, entity_type, entity_id, new_values, ip_address, user_agent)
  select invite_member.organization_id, private.audit_actor(), 'invite', 'invitations', created.id::text,
         pg_catalog.jsonb_build_object('email', address, 'role', created.role, 'expires_at', created.expires_at),
         c.ip_address, c.user_agent
  from private.request_client() c;
  return query select created.id, secret, created.expires_at;
end;
$$;

-- An organization's invitations, for its admins (never the token or its hash).
create or replace function public.list_invitations(organization_id uuid)
returns table (
  id uuid, email text, role public.user_role, invited_by uuid,
  created_at timestamptz, expires_at timestamptz, status text
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_org_role(list_invitations.organization_id, '{admin}', 'list invitations');
  return query
    select i.id, i.email, i.role, i.invited_by, i.created_at, i.expires_at,
           case
             when i.accepted_at is not null then 'accepted'
             when i.revoked_at is not null then 'revoked'
             when i.expires_at <= pg_catalog.now() then 'expired'
             else 'pending'
           end
    from private.invitations i
    where i.organization_id = list_invitations.organization_id
    order by i.created_at desc, i.id;
end;
$$;

-- Revoke a pending invitation.
create or replace function public.revoke_invitation(invitation_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  found private.invitations;
begin
  if auth.uid() is null then
    raise exception 'sign in to revoke invitations' using errcode = '42501';
  end if;
  select * into found from private.invitations i where i.id = revoke_invitation.invitation_id for update;
  -- Unknown, or of an organization the caller is not in: the same answer.
  if found is null or not private.has_role_in(found.organization_id, '{admin,member,viewer}') then
    raise exception 'invitation % not found', revoke_invitation.invitation_id using errcode = 'PT404';
  end if;
  perform private.require_org_role(found.organization_id, '{admin}', 'revoke invitations');
  if found.accepted_at is not null then
    raise exception 'the invitation was already accepted' using errcode = 'P0001';
  end if;
  update private.invitations i set revoked_at = coalesce(i.revoked_at, pg_catalog.now())
  where i.id = found.id;
end;
$$;

-- Join the organization an invitation is for, with its role.
create or replace function public.accept_invitation(token text)
returns public.organization_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  found private.invitations;
  joined public.organization_members;
begin
  if caller is null then
    raise exception 'sign in to accept an invitation' using errcode = '42501';
  end if;
  select * into found from private.invitations i
  where i.token_hash = private.token_hash(accept_invitation.token)
  for update;
  if found is null or found.revoked_at is not null then
    raise exception 'invitation not found' using errcode = 'PT404',
      hint = 'it may have been revoked, or replaced by a newer invitation';
  end if;
  if found.accepted_at is not null then
    raise exception 'this invitation was already used' using errcode = 'P0001';
  end if;
  if found.expires_at <= pg_catalog.now() then
    raise exception 'this invitation expired at %', found.expires_at using errcode = 'P0001',
      hint = 'ask an admin of the organization for a new one';
  end if;
  if not exists (select 1 from public.profiles p where p.id = caller and pg_catalog.lower(p.email) = found.email) then
    raise exception 'this invitation is for another email address' using errcode = '42501';
  end if;
  if exists (select 1 from public.organization_members m where m.organization_id = found.organization_id and m.user_id = caller) then
    raise exception 'you are already a member of this organization' using errcode = '23505';
  end if;
  insert into public.organization_members (organization_id, user_id, role)
  values (found.organization_id, caller, found.role)
  returning * into joined;
  update private.invitations i set accepted_at = pg_catalog.now(), accepted_by = caller where i.id = found.id;
  return joined;
end;
$$;

revoke execute on function private.token_hash(text) from public, anon, authenticated;
revoke execute on function public.invite_member(uuid, text, public.user_role, interval) from public, anon;
revoke execute on function public.list_invitations(uuid) from public, anon;
revoke execute on function public.revoke_invitation(uuid) from public, anon;
revoke execute on function public.accept_invitation(text) from public, anon;
grant execute on function public.invite_member(uuid, text, public.user_role, interval) to authenticated;
grant execute on function public.list_invitations(uuid) to authenticated;
grant execute on function public.revoke_invitation(uuid) to authenticated;
grant execute on function public.accept_invitation(text) to authenticated;
