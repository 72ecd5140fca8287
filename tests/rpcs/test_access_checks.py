"""my_organizations, has_org_access and has_org_role."""

from __future__ import annotations

import uuid

import pytest

from helpers.rpcs import rpc, rpc_one, refused, new_org, add


# --- my_organizations, has_org_access, has_org_role --------------------------------------


def test_my_organizations_lists_mine_with_my_role(make_user, service_role):
    alice, bob, carol = make_user(), make_user(), make_user()
    own = new_org(alice, name="B Alice's")
    joined = new_org(bob, name="A Bob's")
    add(service_role, joined, alice, "viewer")
    new_org(carol, name="C Carol's")

    rows = rpc(alice, "my_organizations")

    assert [(str(r["id"]), r["role"]) for r in rows] == [(joined, "viewer"), (own, "admin")]  # ordered by name
    assert set(rows[0]) == {"id", "name", "slug", "logo_url", "settings", "role", "created_at", "updated_at"}


def test_my_organizations_empty_for_a_new_user_and_the_service_role(make_user, service_role):
    new_org(make_user())
    assert rpc(make_user(), "my_organizations") == []
    assert rpc(service_role, "my_organizations") == []


def test_my_organizations_follows_role_changes_and_leaving(team):
    rpc(team.admin, "change_member_role", organization_id=team.org, user_id=team.member.id, role="viewer")
    assert [r["role"] for r in rpc(team.member, "my_organizations")] == ["viewer"]
    rpc(team.member, "leave_organization", organization_id=team.org)
    assert rpc(team.member, "my_organizations") == []


def test_has_org_access(team, make_user):
    other = new_org(make_user())
    for user in (team.admin, team.member, team.viewer):
        assert rpc_one(user, "has_org_access", organization_id=team.org)["has_org_access"] is True
        assert rpc_one(user, "has_org_access", organization_id=other)["has_org_access"] is False
        assert rpc_one(user, "has_org_access", organization_id=str(uuid.uuid4()))["has_org_access"] is False
    assert rpc_one(team.outsider, "has_org_access", organization_id=team.org)["has_org_access"] is False


@pytest.mark.parametrize(("who", "roles", "expected"), [
    ("admin", "{admin}", True),
    ("admin", "{member,viewer}", False),
    ("member", "{admin,member}", True),
    ("member", "{admin}", False),
    ("viewer", "{viewer}", True),
    ("viewer", "{admin,member}", False),
    ("admin", "{}", False),
    ("outsider", "{admin,member,viewer}", False),
])
def test_has_org_role(team, who, roles, expected):
    result = rpc_one(getattr(team, who), "has_org_role", organization_id=team.org, roles=roles)
    assert result["has_org_role"] is expected


def test_has_org_role_other_or_unknown_org_is_false(team, make_user):
    other = new_org(make_user())
    for org in (other, str(uuid.uuid4())):
        answer = rpc_one(team.admin, "has_org_role", organization_id=org, roles="{admin,member,viewer}")
        assert answer["has_org_role"] is False


def test_has_org_role_bad_role_is_22P02(team):
    refused(team.admin, "has_org_role", "22P02", organization_id=team.org, roles="{owner}")


@pytest.mark.parametrize("fn", ["has_org_access", "has_org_role"])
def test_access_checks_are_false_for_the_service_role(team, service_role, fn):
    args = {"roles": "{admin}"} if fn == "has_org_role" else {}
    assert rpc_one(service_role, fn, organization_id=team.org, **args)[fn] is False


@pytest.mark.parametrize(("fn", "args"), [
    ("my_organizations", {}),
    ("has_org_access", {"organization_id": str(uuid.uuid4())}),
    ("has_org_role", {"organization_id": str(uuid.uuid4()), "roles": "{admin}"}),
])
def test_access_checks_anon_cannot_execute(db, anon, fn, args):
    refused(anon, fn, "42501", **args)
