-- An organization never loses its last admin, whichever path the change takes (an
-- RPC, a REST PATCH or DELETE on organization_members, plain SQL, a deleted user):
-- a constraint trigger checks after each statement (deferrable, so a transaction
-- can `set constraints ... deferred` to hand the role over). Deleting the
-- organization itself is allowed: its memberships go with it.

create or replace function private.keep_an_admin()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.role = 'admin' then
    -- Serialise admin changes per organization: two admins demoting each other at
    -- once would each still see the other as admin. The lock waits for the other
    -- transaction; the check below then sees what it committed. (No row: the
    -- organization itself is being deleted, and its memberships with it.)
    perform 1 from public.organizations o where o.id = old.organization_id for no key update;
    if found and not exists (
      select 1 from public.organization_members m
      where m.organization_id = old.organization_id and m.role = 'admin'
    ) then
      raise exception 'organization % must keep at least one admin', old.organization_id
        using errcode = '23514',
              hint = 'make another member an admin first, or delete the organization';
    end if;
  end if;
  return null;
end;
$$;

revoke execute on function private.keep_an_admin() from public, anon, authenticated, service_role;

-- `create or replace` does not apply to constraint triggers.
drop trigger if exists organization_members_keep_an_admin on public.organization_members;
create constraint trigger organization_members_keep_an_admin
  after update of role, organization_id or delete on public.organization_members
  deferrable initially immediate
  for each row execute function private.keep_an_admin();
