"""What attackers try through the REST API, each against a fresh world."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from helpers.isolation import scalar, fresh_world


# -- what attackers try, through the REST API ---------------------------------------


@pytest.fixture
def attack(rest, rest_db, callers):
    """A fresh world in the REST database, and a request helper per caller."""
    users, actors = callers
    world = fresh_world(rest_db, users)

    def call(who: str, method: str, path: str, body: Any = None, prefer: str = "return=representation") -> httpx.Response:
        headers = {**actors[who].headers, "Prefer": prefer}
        return httpx.request(method, f"{rest.url}/rest/v1{path}", headers=headers, json=body, timeout=10)

    return world, call, rest_db


def test_a_project_cannot_move_to_another_org(attack):
    world, call, su = attack
    # A member of A moving A's project into B; B's admin pulling A's project into B.
    for who, target, destination in (("member", "project_a", "org_b"), ("admin_b", "project_a", "org_b"),
                                      ("admin_b", "project_b", "org_a")):
        response = call(who, "PATCH", f"/projects?id=eq.{world[target]}", {"organization_id": world[destination]})
        assert response.status_code in (401, 403) or response.json() == [], (who, response.text)
        original = world["org_a"] if target == "project_a" else world["org_b"]
        assert str(scalar(su, "select organization_id from public.projects where id = %s", (world[target],))) == original


def test_nobody_inserts_themselves_into_another_org(attack):
    world, call, su = attack
    for who in ("outsider", "admin_b"):
        me = world.users[who].id
        response = call(who, "POST", "/organization_members", {"organization_id": world["org_a"], "user_id": me, "role": "admin"})
        assert response.status_code == 403, response.text
        assert "organization_id" not in response.text  # no row echoed back
        assert scalar(su, "select count(*) from public.organization_members where organization_id = %s and user_id = %s",
                      (world["org_a"], me)) == 0


def test_a_member_cannot_raise_their_own_role(attack):
    world, call, su = attack
    for who in ("member", "viewer"):
        response = call(who, "PATCH", f"/organization_members?id=eq.{world['membership_' + who]}", {"role": "admin"})
        assert response.status_code == 200 and response.json() == []
        assert scalar(su, "select role::text from public.organization_members where id = %s",
                      (world["membership_" + who],)) == who
    # Nor through the RPC, nor through their profile's global role.
    assert call("member", "POST", "/rpc/change_member_role",
                {"organization_id": world["org_a"], "user_id": world.users["member"].id, "role": "admin"}).status_code == 403
    assert call("member", "PATCH", f"/profiles?id=eq.{world.users['member'].id}", {"role": "admin"}).status_code == 403


def test_embedding_never_reaches_another_org(attack):
    world, call, su = attack
    embeds = [
        "/organizations?select=id,organization_members(*),projects(*),subscriptions(*)",
        "/audit_logs?select=*",  # no foreign key, so no embedding: read directly
        "/projects?select=id,organizations(id,name,organization_members(user_id))",
        "/profiles?select=id,email,organization_members(organization_id,organizations(id,projects(id)))",
        "/organization_members?select=*,profiles(*),organizations(*)",
        "/subscriptions?select=*,organizations(*)",
    ]
    a_ids = {world[k] for k in ("org_a", "project_a", "subscription_a", "audit_a", "membership_admin_a",
                                "membership_member", "membership_viewer")}
    for who in ("outsider", "admin_b", "anon"):
        for path in embeds:
            response = call(who, "GET", path)
            assert response.status_code in (200, 401), (who, path, response.text)
            leaked = [i for i in a_ids if i in response.text]
            assert not leaked, (who, path, leaked)
    # A member of A sees A through embedding, never B.
    text = call("member", "GET", embeds[0]).text
    assert world["org_a"] in text and world["org_b"] not in text and world["project_b"] not in text


def test_rpcs_with_another_orgs_id_are_not_found(attack):
    world, call, su = attack
    org_a = world["org_a"]
    attempts = [
        ("add_member", {"organization_id": org_a, "user_id": world.users["admin_b"].id}),
        ("change_member_role", {"organization_id": org_a, "user_id": world.users["viewer"].id, "role": "admin"}),
        ("remove_member", {"organization_id": org_a, "user_id": world.users["viewer"].id}),
        ("invite_member", {"organization_id": org_a, "email": "spy@example.test", "role": "admin"}),
        ("list_invitations", {"organization_id": org_a}),
        ("leave_organization", {"organization_id": org_a}),
        ("revoke_invitation", {"invitation_id": world["invitation_other"]}),
    ]
    random_org = str(uuid.uuid4())
    for rpc, args in attempts:
        response = call("admin_b", "POST", f"/rpc/{rpc}", args)
        assert response.status_code == 404, (rpc, response.text)
        # The same answer as for an organization that does not exist: no existence oracle.
        if "organization_id" in args:
            ghost = call("admin_b", "POST", f"/rpc/{rpc}", {**args, "organization_id": random_org})
            assert ghost.json()["message"].replace(random_org, org_a) == response.json()["message"]
    assert scalar(su, "select count(*) from public.organization_members where organization_id = %s", (org_a,)) == 3
    assert scalar(su, "select count(*) from private.invitations where organization_id = %s and revoked_at is null",
                  (org_a,)) == 2
    assert call("admin_b", "POST", "/rpc/has_org_access", {"organization_id": org_a}).json() is False


def test_refused_writes_return_nothing_with_return_representation(attack):
    world, call, su = attack
    refused = [
        ("admin_b", "PATCH", f"/projects?id=eq.{world['project_a']}", {"name": "pwned"}),
        ("admin_b", "DELETE", f"/projects?id=eq.{world['project_a']}", None),
        ("viewer", "PATCH", f"/projects?id=eq.{world['project_a']}", {"name": "pwned"}),
        ("member", "PATCH", f"/organizations?id=eq.{world['org_a']}", {"name": "pwned"}),
        ("admin_a", "PATCH", f"/subscriptions?id=eq.{world['subscription_a']}", {"status": "active"}),
        ("admin_a", "DELETE", f"/audit_logs?id=eq.{world['audit_a']}", None),
        ("outsider", "POST", "/projects", {"organization_id": world["org_a"], "name": "pwned"}),
    ]
    for who, method, path, body in refused:
        response = call(who, method, path, body)
        assert response.status_code in (200, 401, 403), (who, method, path, response.text)
        if response.status_code == 200:
            assert response.json() == [], (who, method, path)
        assert "pwned" not in response.text and world["org_a"] not in response.text
    assert scalar(su, "select name from public.projects where id = %s", (world["project_a"],)) == "P"
    assert scalar(su, "select count(*) from public.audit_logs where id = %s", (world["audit_a"],)) == 1


def test_no_email_enumeration(attack):
    world, call, su = attack
    target = world.users["member"].email
    for who in ("outsider", "admin_b", "anon"):
        response = call(who, "GET", f"/profiles?select=id&email=eq.{target}")
        assert response.status_code in (200, 401) and target not in response.text and (
            response.status_code == 401 or response.json() == [])
    # The service role finds a user by email (billing, support tools).
    assert call("service", "GET", f"/profiles?select=id&email=eq.{target}").json() == [{"id": world.users["member"].id}]


def test_users_cannot_change_their_email_or_audit_history(attack):
    world, call, su = attack
    me = world.users["member"]
    assert call("member", "PATCH", f"/profiles?id=eq.{me.id}", {"email": "taken@example.test"}).status_code == 403
    assert call("member", "PATCH", f"/profiles?id=eq.{me.id}", {"name": "Mem"}).json()[0]["name"] == "Mem"
    for who in ("admin_a", "service"):
        assert call(who, "PATCH", f"/audit_logs?id=eq.{world['audit_a']}", {"action": "logout"}).status_code in (401, 403)
        assert call(who, "DELETE", f"/audit_logs?id=eq.{world['audit_a']}").status_code in (401, 403)
