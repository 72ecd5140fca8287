"""Stale invitations (hole 2): an invitation dies with its inviter's authority."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from psycopg.rows import dict_row

from helpers import one
from helpers.rpcs import rpc, rpc_one, refused, message, add, role_of, invite


# --- stale invitations (hole 2) -------------------------------------------------------------


def pending(db, org: str) -> set[str]:
    return {r[0] for r in db.execute("select email from private.invitations where organization_id = %s "
                                     "and accepted_at is null and revoked_at is null", (org,))}


def revocations(db, invitation_id) -> list[dict]:
    with db.cursor(row_factory=dict_row) as cur:
        return cur.execute("select user_id::text, new_values from public.audit_logs where action = 'update' "
                           "and entity_type = 'invitations' and entity_id = %s", (str(invitation_id),)).fetchall()


@pytest.mark.parametrize("fate", ["removed", "demoted", "deleted"])
def test_an_invitation_dies_with_its_inviters_authority(db, team, make_user, fate):
    """Hole 2a: an admin invites an address as admin, then is removed or demoted (or
    their account goes): the invitation no longer makes an admin."""
    second = make_user()
    add(team.service, team.org, second, "admin")
    invitee = make_user()
    created = invite(second, team.org, invitee.email, role="admin")
    if fate == "removed":
        rpc_one(team.admin, "remove_member", organization_id=team.org, user_id=second.id)
    elif fate == "demoted":
        rpc_one(team.admin, "change_member_role", organization_id=team.org, user_id=second.id, role="viewer")
    else:
        db.execute("delete from auth.users where id = %s", (second.id,))
    if fate == "deleted":
        # The account's deletion clears invited_by before its memberships go: the check
        # at acceptance is what refuses it.
        err = refused(invitee, "accept_invitation", "P0001", token=created["token"])
        assert message(err).startswith("this invitation is no longer valid")
    else:
        refused(invitee, "accept_invitation", "PT404", token=created["token"])
        [entry] = revocations(db, created["invitation_id"])
        assert entry["new_values"]["status"] == "revoked"
        assert entry["new_values"]["reason"] == "its inviter is no longer an admin"
    assert role_of(db, team.org, invitee) is None


def test_accepting_rechecks_the_inviter_even_if_nothing_revoked_it(db, team, make_user):
    """Defence in depth: the check at acceptance does not rely on the revocation trigger."""
    second = make_user()
    add(team.service, team.org, second, "admin")
    invitee = make_user()
    created = invite(second, team.org, invitee.email, role="admin")
    db.execute("alter table public.organization_members disable trigger organization_members_revoke_stale_invitations")
    try:
        db.execute("update public.organization_members set role = 'member' where organization_id = %s and user_id = %s",
                   (team.org, second.id))
    finally:
        db.execute("alter table public.organization_members enable trigger organization_members_revoke_stale_invitations")
    err = refused(invitee, "accept_invitation", "P0001", token=created["token"])
    assert message(err).startswith("this invitation is no longer valid")
    assert role_of(db, team.org, invitee) is None


def test_a_viewer_who_leaves_cannot_come_back_as_admin_with_an_old_invitation(db, team, make_user):
    """Hole 2b: a pending admin invitation held by someone who then joined (as viewer)
    and left is revoked at each membership change."""
    holder = make_user()
    created = invite(team.admin, team.org, holder.email, role="admin")
    add(team.service, team.org, holder, "viewer")
    rpc_one(holder, "leave_organization", organization_id=team.org)
    refused(holder, "accept_invitation", "PT404", token=created["token"])
    assert role_of(db, team.org, holder) is None


@pytest.mark.parametrize("change", ["added", "role changed", "removed"])
def test_membership_changes_revoke_the_users_pending_invitations(db, team, make_user, change):
    """Hole 2c: pending invitations do not stay pending after the invitee is added,
    has their role changed or is removed; each revocation is audited."""
    if change == "added":
        user = make_user()
        created = invite(team.admin, team.org, user.email, role="admin")
        add(team.service, team.org, user, "viewer")
        reason = "the invitee joined"
    else:
        user = team.viewer
        # An invitation addressed to a member cannot be made through the RPC: plant one.
        created = {"invitation_id": one(db, (
            "insert into private.invitations (organization_id, email, role, token_hash, invited_by, expires_at) "
            "values (%s, lower(%s), 'admin', %s, %s, now() + interval '1 day') returning id"),
            (team.org, user.email, hashlib.sha256(uuid.uuid4().bytes).digest(), team.admin.id))}
        if change == "role changed":
            rpc_one(team.admin, "change_member_role", organization_id=team.org, user_id=user.id, role="member")
            reason = "the invitee's role changed"
        else:
            rpc_one(team.admin, "remove_member", organization_id=team.org, user_id=user.id)
            reason = "the invitee left or was removed"
    assert user.email.lower() not in pending(db, team.org)
    [entry] = revocations(db, created["invitation_id"])
    assert entry["new_values"]["reason"] == reason
    assert entry["user_id"] == (None if change == "added" else team.admin.id)


def test_revoking_and_replacing_invitations_is_audited(db, team):
    first = invite(team.admin, team.org, "again@example.test")
    second = invite(team.admin, team.org, "again@example.test")
    assert [e["new_values"]["reason"] for e in revocations(db, first["invitation_id"])] == ["replaced by a newer invitation"]
    rpc(team.admin, "revoke_invitation", invitation_id=second["invitation_id"])
    [entry] = revocations(db, second["invitation_id"])
    assert entry["user_id"] == team.admin.id and entry["new_values"]["reason"] == "revoked by an admin"
