-- Invitation RPCs: how people join an organization (with their consent). The token is
-- 244 random bits (two v4 uuids), returned once by invite_member; only its sha256 is
-- stored (private.invitations). An invitation is for one address: accept_invitation
-- checks the caller's profile email, so a forwarded or leaked link does not let
-- someone else in.
--
-- An invitation never outlives the authority that made it or the situation it was
-- made for: accepting re-checks that its inviter is still an admin of the
-- organization, and any membership change of a user (joining, a role change, leaving
-- or removal) revokes the pending invitations addressed to that user in that
-- organization, and, when an admin stops being one, those that admin sent. Every
-- revocation is audited (an `update` of entity type `invitations`).

create or replace function private.token_hash(token text)
returns bytea
language sql
immutable
set search_path = ''
as $$ select pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')) $$;

-- Revoke pending invitations, auditing each: `reason` says why (revoked by an admin,
-- replaced, the invitee joined, ...). Invitations already used or revoked are left.
create or replace function private.revoke_invitations(ids uuid[], reason text)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  revoked integer;
begin
  with gone as (
    update private.invitations i set revoked_at = pg_catalog.now()
    where i.id = any (revoke_invitations.ids) and i.accepted_at is null and i.revoked_at is null
    returning i.*
  )
  insert into public.audit_logs
    (organization_id, user_id, action, entity_type, entity_id, old_values, new_values, changed_keys, ip_address, user_agent)
  select g.organization_id, private.audit_actor(), 'update', 'invitations', g.id::text,
         pg_catalog.jsonb_build_object('email', g.email, 'role', g.role, 'status', 'pending'),
         pg_catalog.jsonb_build_object('email', g.email, 'role', g.role, 'status', 'revoked',
                                       'revoked_at', g.revoked_at, 'reason', revoke_invitations.reason),
         '{revoked_at}', c.ip_address, c.user_agent
  from gone g cross join private.request_client() c;
  get diagnostics revoked = row_count;
  return revoked;
end;
$$;

-- After a membership changes: revoke what it made stale. The invitee's pending
-- invitations to that organization (they joined, changed role or left: an old
-- invitation would bring back a role nobody means them to have now), and, when an
-- admin stops being one, the pending invitations that admin sent. Nothing when the
-- organization itself is being deleted (its invitations go with it).
create or replace function private.revoke_stale_invitations()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  org uuid := coalesce(new.organization_id, old.organization_id);
  member uuid := coalesce(new.user_id, old.user_id);
  reason text := case tg_op when 'INSERT' then 'the invitee joined' when 'UPDATE' then 'the invitee''s role changed'
                   else 'the invitee left or was removed' end;
begin
  if not exists (select 1 from public.organizations o where o.id = org) then
    return null;
  end if;
  perform private.revoke_invitations(array(
    select i.id from private.invitations i join public.profiles p on pg_catalog.lower(p.email) = i.email
    where i.organization_id = org and p.id = member and i.accepted_at is null and i.revoked_at is null
  ), reason);
  if tg_op <> 'INSERT' and old.role = 'admin' and (tg_op = 'DELETE' or new.role <> 'admin') then
    perform private.revoke_invitations(array(
      select i.id from private.invitations i
      where i.organization_id = org and i.invited_by = member and i.accepted_at is null and i.revoked_at is null
    ), 'its inviter is no longer an admin');
  end if;
  return null;
end;
$$;

drop trigger if exists organization_members_revoke_stale_invitations on public.organization_members;
create trigger organization_members_revoke_stale_invitations
  after insert or update of role or delete on public.organization_members
  for each row execute function private.revoke_stale_invitations();

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
  if address is null or pg_catalog.char_length(address) > 320 or address !~ '^[^@[:space:]]+@[^@[:space:]]+$' then
    raise exception 'invalid email address "%"', private.preview(invite_member.email)
      using errcode = '22023', hint = 'one address of at most 320 characters';
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
  perform private.revoke_invitations(array(
    select i.id from private.invitations i
    where i.organization_id = invite_member.organization_id and pg_catalog.lower(i.email) = address
      and i.accepted_at is null and i.revoked_at is null
  ), 'replaced by a newer invitation');
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
  perform private.revoke_invitations(array[found.id], 'revoked by an admin');
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
  -- The role is granted by its inviter: only as long as they may grant it (admins).
  if found.invited_by is null or not exists (
    select 1 from public.organization_members m
    where m.organization_id = found.organization_id and m.user_id = found.invited_by and m.role = 'admin'
  ) then
    raise exception 'this invitation is no longer valid: whoever sent it no longer administers the organization'
      using errcode = 'P0001', hint = 'ask a current admin of the organization for a new invitation';
  end if;
  -- Used before the membership exists, so that joining (which revokes the invitee's
  -- pending invitations) does not revoke this one.
  update private.invitations i set accepted_at = pg_catalog.now(), accepted_by = caller where i.id = found.id;
  insert into public.organization_members (organization_id, user_id, role)
  values (found.organization_id, caller, found.role)
  returning * into joined;
  return joined;
end;
$$;

revoke execute on function private.token_hash(text) from public, anon, authenticated;
revoke execute on function private.revoke_invitations(uuid[], text) from public, anon, authenticated, service_role;
revoke execute on function private.revoke_stale_invitations() from public, anon, authenticated, service_role;
revoke execute on function public.invite_member(uuid, text, public.user_role, interval) from public, anon;
revoke execute on function public.list_invitations(uuid) from public, anon;
revoke execute on function public.revoke_invitation(uuid) from public, anon;
revoke execute on function public.accept_invitation(text) from public, anon;
grant execute on function public.invite_member(uuid, text, public.user_role, interval) to authenticated;
grant execute on function public.list_invitations(uuid) to authenticated;
grant execute on function public.revoke_invitation(uuid) to authenticated;
grant execute on function public.accept_invitation(text) to authenticated;
