"""The client's members service, over every transport (tests/client/conftest.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from supakit.client import Conflict, NotFound, PermissionDenied, ValidationError
from supakit.client.models import OrganizationMember, UserRole

from helpers.client import slug


# --- members -------------------------------------------------------------------------------


def test_members_list(team):
    members = team.viewer.members.list(team.org.id)
    assert all(isinstance(m, OrganizationMember) for m in members)
    assert [(str(m.user_id), m.role) for m in members] == [
        (team.admin_user.id, UserRole.admin), (team.member_user.id, UserRole.member),
        (team.viewer_user.id, UserRole.viewer),
    ]
    assert team.outsider.members.list(team.org.id) == []


def test_members_add(api, team):
    newcomer, _ = api.user()
    added = team.service.members.add(team.org.id, user_id=newcomer.id)
    assert (str(added.user_id), added.role) == (newcomer.id, UserRole.member)
    with pytest.raises(Conflict):
        team.service.members.add(team.org.id, user_id=newcomer.id)


def test_members_add_refusals(api, team):
    newcomer, _ = api.user()
    with pytest.raises(PermissionDenied) as info:
        team.admin.members.add(team.org.id, user_id=newcomer.id)  # no consent: invite instead
    assert info.value.code == "42501" and "invite_member" in (info.value.hint or "")
    with pytest.raises(PermissionDenied) as info:
        team.member.members.add(team.org.id, user_id=newcomer.id)
    assert info.value.code == "42501" and "admin" in (info.value.hint or "")
    with pytest.raises(NotFound) as info:
        team.outsider.members.add(team.org.id, user_id=newcomer.id)
    assert info.value.code == "PT404"
    with pytest.raises(NotFound):
        team.service.members.add(team.org.id, user_id=str(uuid.uuid4()))
    with pytest.raises(ValidationError):
        team.service.members.add(team.org.id)  # neither user_id nor email
    with pytest.raises(ValidationError):
        team.service.members.add(team.org.id, user_id=newcomer.id, role="owner")


def test_members_add_by_email_for_the_service_role(api, team):
    other = team.admin.organizations.create("Other", slug("other"))
    added = team.service.members.add(other.id, email=team.viewer_user.email.upper(), role="admin")
    assert (str(added.user_id), added.role) == (team.viewer_user.id, UserRole.admin)


def test_members_change_role(team):
    changed = team.admin.members.change_role(team.org.id, team.viewer_user.id, "member")
    assert changed.role == UserRole.member
    with pytest.raises(PermissionDenied):
        team.member.members.change_role(team.org.id, team.viewer_user.id, "admin")
    with pytest.raises(NotFound):
        team.admin.members.change_role(team.org.id, team.outsider_user.id, "member")
    with pytest.raises(ValidationError) as info:  # the last admin stays an admin
        team.admin.members.change_role(team.org.id, team.admin_user.id, "member")
    assert info.value.code == "23514"


def test_members_remove(team):
    removed = team.admin.members.remove(team.org.id, team.viewer_user.id)
    assert str(removed.user_id) == team.viewer_user.id
    assert team.viewer.organizations.has_access(team.org.id) is False
    with pytest.raises(PermissionDenied):
        team.member.members.remove(team.org.id, team.admin_user.id)
    with pytest.raises(NotFound):
        team.admin.members.remove(team.org.id, team.viewer_user.id)


def test_members_leave(team):
    left = team.member.members.leave(team.org.id)
    assert str(left.user_id) == team.member_user.id
    assert team.member.organizations.list_mine() == []
    with pytest.raises(ValidationError):  # the last admin cannot leave
        team.admin.members.leave(team.org.id)
    with pytest.raises(NotFound):
        team.outsider.members.leave(team.org.id)


def test_members_invite_and_accept(api, team):
    newcomer, newcomer_client = api.user()
    invitation = team.admin.members.invite(team.org.id, newcomer.email.upper(), role="viewer",
                                           valid_for=timedelta(days=1))
    assert invitation.token and invitation.expires_at > datetime.now(timezone.utc)
    [pending] = team.admin.members.invitations(team.org.id)
    assert (pending.id, pending.email, pending.role, pending.status) == (
        invitation.invitation_id, newcomer.email.lower(), UserRole.viewer, "pending")
    joined = newcomer_client.members.accept_invitation(invitation.token)
    assert (str(joined.user_id), joined.role) == (newcomer.id, UserRole.viewer)
    assert team.admin.members.invitations(team.org.id)[0].status == "accepted"
    with pytest.raises(ValidationError):  # used once
        newcomer_client.members.accept_invitation(invitation.token)


def test_members_invite_refusals(team):
    with pytest.raises(PermissionDenied):
        team.member.members.invite(team.org.id, "someone@example.test")
    with pytest.raises(NotFound):
        team.outsider.members.invite(team.org.id, "someone@example.test")
    with pytest.raises(ValidationError) as info:
        team.admin.members.invite(team.org.id, "not an address")
    assert info.value.code == "22023"
    with pytest.raises(Conflict):
        team.admin.members.invite(team.org.id, team.viewer_user.email)
    with pytest.raises(PermissionDenied):
        team.member.members.invitations(team.org.id)


def test_members_revoke_invitation(api, team):
    invitee, invitee_client = api.user()
    invitation = team.admin.members.invite(team.org.id, invitee.email)
    with pytest.raises(NotFound):
        team.outsider.members.revoke_invitation(invitation.invitation_id)
    with pytest.raises(PermissionDenied):
        team.member.members.revoke_invitation(invitation.invitation_id)
    assert team.admin.members.revoke_invitation(invitation.invitation_id) is None
    assert team.admin.members.invitations(team.org.id)[0].status == "revoked"
    with pytest.raises(NotFound):
        invitee_client.members.accept_invitation(invitation.token)
    with pytest.raises(PermissionDenied):  # an invitation is for its address only
        other = team.admin.members.invite(team.org.id, f"else-{uuid.uuid4().hex[:8]}@example.test")
        invitee_client.members.accept_invitation(other.token)
