"""add_member (the service role's direct add), change_member_role, remove_member and
leave_organization.
"""

from __future__ import annotations

import uuid

import pytest

from helpers.rpcs import KEEP_ADMIN_HINT, NOT_A_MEMBER_HINT, rpc, rpc_one, refused, message, new_org, add, role_of, without_profile


# --- add_member: the service role's direct add; admins invite -----------------------------


def test_add_member_by_id_defaults_to_member(db, team, make_user):
    dave = make_user()
    added = rpc_one(team.service, "add_member", organization_id=team.org, user_id=dave.id)
    assert (str(added["organization_id"]), str(added["user_id"]), added["role"]) == (team.org, dave.id, "member")
    assert role_of(db, team.org, dave) == "member"


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_add_member_with_explicit_role(db, team, make_user, role):
    dave = make_user()
    assert add(team.service, team.org, dave, role)["role"] == role
    assert role_of(db, team.org, dave) == role


def test_add_member_null_role_means_member(db, team, make_user):
    dave = make_user()
    assert rpc_one(team.service, "add_member", organization_id=team.org, user_id=dave.id, role=None)["role"] == "member"


@pytest.mark.parametrize("spell", [str, str.upper, str.title, lambda email: f"  {email} "],
                         ids=["as-is", "upper", "title", "padded"])
def test_add_member_by_email_is_case_insensitive_and_trimmed(db, team, make_user, spell):
    dave = make_user(email=f"dave-{uuid.uuid4().hex[:8]}@example.test")
    added = rpc_one(team.service, "add_member", organization_id=team.org, email=spell(dave.email), role="viewer")
    assert (str(added["user_id"]), added["role"]) == (dave.id, "viewer")


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
def test_add_member_by_anyone_signed_in_is_refused_without_consent(db, team, make_user, who):
    """Hole 1: an admin put any user into their organization (who then could not leave
    as its last admin). Joining needs the joiner's consent: admins invite."""
    dave = make_user(email=f"dave-{uuid.uuid4().hex[:8]}@example.test")
    for args in ({"user_id": dave.id}, {"email": dave.email}):
        err = refused(getattr(team, who), "add_member", "42501", organization_id=team.org, role="admin", **args)
        if who == "admin":
            assert message(err) == "adding someone to an organization needs their consent: invite them instead"
            assert "invite_member" in err.diag.message_hint
        else:
            assert message(err) == f"your role in this organization ({who}) cannot add members"
    assert role_of(db, team.org, dave) is None


@pytest.mark.parametrize("role", ["owner", "ADMIN", ""])
def test_add_member_bad_role_is_22P02(db, team, make_user, role):
    dave = make_user()
    refused(team.service, "add_member", "22P02", organization_id=team.org, user_id=dave.id, role=role)
    assert role_of(db, team.org, dave) is None


def test_add_member_bad_uuid_is_22P02(team):
    refused(team.service, "add_member", "22P02", organization_id="not-a-uuid", user_id=team.outsider.id)
    refused(team.service, "add_member", "22P02", organization_id=team.org, user_id="not-a-uuid")


@pytest.mark.parametrize("both", [False, True])
def test_add_member_needs_exactly_one_of_id_and_email(db, team, both):
    args = {"user_id": team.outsider.id, "email": team.outsider.email} if both else {}
    err = refused(team.service, "add_member", "22023", organization_id=team.org, **args)
    assert message(err) == "give either user_id or email"
    assert role_of(db, team.org, team.outsider) is None


def test_add_member_unknown_user_or_org_is_PT404(team):
    ghost = str(uuid.uuid4())
    err = refused(team.service, "add_member", "PT404", organization_id=team.org, user_id=ghost)
    assert message(err) == f"no user with id {ghost}"
    assert err.diag.message_hint == "invite the address instead: invite_member"
    err = refused(team.service, "add_member", "PT404", organization_id=team.org, email="nobody@example.test")
    assert message(err) == "no user with email nobody@example.test"
    err = refused(team.service, "add_member", "PT404", organization_id=ghost, user_id=team.outsider.id)
    assert message(err) == f"organization {ghost} not found"


def test_add_member_long_email_is_quoted_by_a_short_prefix(team):
    err = refused(team.service, "add_member", "PT404", organization_id=team.org, email="x" * 100_000 + "@example.test")
    assert len(message(err)) < 120 and "(100013 characters)" in message(err)


def test_add_member_user_without_profile_is_PT404(db, team, make_user):
    phone_user = without_profile(db, make_user)
    refused(team.service, "add_member", "PT404", organization_id=team.org, user_id=phone_user.id)


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
def test_add_member_already_a_member_is_23505(db, team, who):
    user = getattr(team, who)
    before = role_of(db, team.org, user)
    err = refused(team.service, "add_member", "23505", organization_id=team.org, user_id=user.id, role="admin")
    assert message(err) == "that user is already a member of this organization"
    assert role_of(db, team.org, user) == before


def test_add_member_outsider_and_unknown_org_are_the_same_PT404(db, team, make_user):
    """An outsider learns nothing about whether an organization exists."""
    unknown = str(uuid.uuid4())
    errors = {org: refused(team.outsider, "add_member", "PT404", organization_id=org, user_id=team.outsider.id)
              for org in (team.org, unknown)}
    for org, err in errors.items():
        assert message(err) == f"organization {org} not found"
        assert err.diag.message_hint == NOT_A_MEMBER_HINT
    assert role_of(db, team.org, team.outsider) is None


def test_add_member_admin_of_another_org_is_PT404(db, team, make_user):
    rival = make_user()
    new_org(rival)
    refused(rival, "add_member", "PT404", organization_id=team.org, user_id=rival.id, role="admin")
    assert role_of(db, team.org, rival) is None


def test_add_member_anon_refused(db, team, anon):
    refused(anon, "add_member", "42501", organization_id=team.org, user_id=team.outsider.id)
    assert role_of(db, team.org, team.outsider) is None


# --- change_member_role -------------------------------------------------------------------


@pytest.mark.parametrize(("who", "role"), [("member", "viewer"), ("viewer", "admin"), ("member", "member")])
def test_change_member_role(db, team, who, role):
    user = getattr(team, who)
    changed = rpc_one(team.admin, "change_member_role", organization_id=team.org, user_id=user.id, role=role)
    assert (str(changed["user_id"]), changed["role"]) == (user.id, role)
    assert role_of(db, team.org, user) == role


def test_change_member_role_target_not_a_member_is_PT404(team):
    for target in (team.outsider.id, str(uuid.uuid4())):
        err = refused(team.admin, "change_member_role", "PT404", organization_id=team.org, user_id=target, role="admin")
        assert message(err) == f"user {target} is not a member of this organization"


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_change_member_role_non_admin_is_42501(db, team, who):
    user = getattr(team, who)
    err = refused(user, "change_member_role", "42501", organization_id=team.org, user_id=user.id, role="admin")
    assert message(err) == f"your role in this organization ({who}) cannot change roles"
    assert role_of(db, team.org, user) == who


def test_change_member_role_outsider_and_unknown_org_are_PT404(db, team):
    for org in (team.org, str(uuid.uuid4())):
        err = refused(team.outsider, "change_member_role", "PT404", organization_id=org, user_id=team.admin.id,
                      role="viewer")
        assert message(err) == f"organization {org} not found"
    assert role_of(db, team.org, team.admin) == "admin"


def test_change_member_role_bad_or_null_role(db, team):
    refused(team.admin, "change_member_role", "22P02", organization_id=team.org, user_id=team.member.id, role="owner")
    err = refused(team.admin, "change_member_role", "22023", organization_id=team.org, user_id=team.member.id,
                  role=None)
    assert message(err) == "role must be admin, member or viewer"
    assert role_of(db, team.org, team.member) == "member"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_change_member_role_demoting_the_last_admin_is_23514(db, team, role):
    err = refused(team.admin, "change_member_role", "23514", organization_id=team.org, user_id=team.admin.id, role=role)
    assert message(err) == f"organization {team.org} must keep at least one admin"
    assert err.diag.message_hint == KEEP_ADMIN_HINT
    assert role_of(db, team.org, team.admin) == "admin"


def test_change_member_role_promote_another_then_demote_self(db, team):
    rpc(team.admin, "change_member_role", organization_id=team.org, user_id=team.member.id, role="admin")
    rpc(team.admin, "change_member_role", organization_id=team.org, user_id=team.admin.id, role="viewer")
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("viewer", "admin")
    # The former admin has no say any more; the new one does.
    refused(team.admin, "change_member_role", "42501", organization_id=team.org, user_id=team.admin.id, role="admin")
    rpc(team.member, "change_member_role", organization_id=team.org, user_id=team.admin.id, role="member")
    assert role_of(db, team.org, team.admin) == "member"


# --- remove_member and leave_organization ---------------------------------------------------


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_remove_member_by_admin(db, team, who):
    user = getattr(team, who)
    removed = rpc_one(team.admin, "remove_member", organization_id=team.org, user_id=user.id)
    assert (str(removed["user_id"]), removed["role"]) == (user.id, who)
    assert role_of(db, team.org, user) is None


def test_remove_member_admin_removes_another_admin(db, team):
    add(team.service, team.org, team.outsider, "admin")
    rpc(team.admin, "remove_member", organization_id=team.org, user_id=team.outsider.id)
    assert role_of(db, team.org, team.outsider) is None


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_remove_member_self_is_leaving(db, team, who):
    user = getattr(team, who)
    rpc(user, "remove_member", organization_id=team.org, user_id=user.id)
    assert role_of(db, team.org, user) is None
    assert rpc_one(user, "has_org_access", organization_id=team.org)["has_org_access"] is False


@pytest.mark.parametrize(("who", "target"), [("member", "viewer"), ("viewer", "member"), ("member", "admin")])
def test_remove_member_non_admin_cannot_remove_others(db, team, who, target):
    err = refused(getattr(team, who), "remove_member", "42501", organization_id=team.org,
                  user_id=getattr(team, target).id)
    assert message(err) == f"your role in this organization ({who}) cannot remove members"
    assert role_of(db, team.org, getattr(team, target)) == target


def test_remove_member_last_admin_is_23514(db, team):
    err = refused(team.admin, "remove_member", "23514", organization_id=team.org, user_id=team.admin.id)
    assert err.diag.message_hint == KEEP_ADMIN_HINT
    assert role_of(db, team.org, team.admin) == "admin"


def test_remove_member_target_not_a_member_is_PT404(team):
    for target in (team.outsider.id, str(uuid.uuid4())):
        err = refused(team.admin, "remove_member", "PT404", organization_id=team.org, user_id=target)
        assert message(err) == f"user {target} is not a member of this organization"


def test_remove_member_null_user_is_22023(team):
    err = refused(team.admin, "remove_member", "22023", organization_id=team.org, user_id=None)
    assert message(err) == "give the user_id of the member to remove"


def test_remove_member_outsider_and_unknown_org_are_PT404(db, team):
    for org in (team.org, str(uuid.uuid4())):
        for target in (team.member.id, team.outsider.id):
            err = refused(team.outsider, "remove_member", "PT404", organization_id=org, user_id=target)
            assert message(err) == f"organization {org} not found"
    assert role_of(db, team.org, team.member) == "member"


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_leave_organization(db, team, who):
    user = getattr(team, who)
    left = rpc_one(user, "leave_organization", organization_id=team.org)
    assert (str(left["user_id"]), left["role"]) == (user.id, who)
    assert role_of(db, team.org, user) is None


def test_leave_organization_admin_leaves_when_another_admin_remains(db, team):
    rpc(team.admin, "change_member_role", organization_id=team.org, user_id=team.member.id, role="admin")
    rpc(team.admin, "leave_organization", organization_id=team.org)
    assert role_of(db, team.org, team.admin) is None


def test_leave_organization_last_admin_is_23514(db, team):
    err = refused(team.admin, "leave_organization", "23514", organization_id=team.org)
    assert message(err) == f"organization {team.org} must keep at least one admin"
    assert err.diag.message_hint == KEEP_ADMIN_HINT
    assert role_of(db, team.org, team.admin) == "admin"


def test_leave_organization_not_a_member_is_PT404(team):
    for org in (team.org, str(uuid.uuid4())):
        err = refused(team.outsider, "leave_organization", "PT404", organization_id=org)
        assert message(err) == f"organization {org} not found"


def test_leave_organization_twice_is_PT404(team):
    rpc(team.member, "leave_organization", organization_id=team.org)
    refused(team.member, "leave_organization", "PT404", organization_id=team.org)


def test_membership_rpcs_anon_cannot_execute(team, anon):
    refused(anon, "change_member_role", "42501", organization_id=team.org, user_id=team.member.id, role="admin")
    refused(anon, "remove_member", "42501", organization_id=team.org, user_id=team.member.id)
    refused(anon, "leave_organization", "42501", organization_id=team.org)


def test_membership_rpcs_service_role_has_no_caller(db, team, service_role):
    err = refused(service_role, "change_member_role", "42501", organization_id=team.org, user_id=team.admin.id,
                  role="viewer")
    assert message(err) == "sign in to change roles"
    refused(service_role, "remove_member", "42501", organization_id=team.org, user_id=team.member.id)
    refused(service_role, "leave_organization", "42501", organization_id=team.org)
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("admin", "member")
