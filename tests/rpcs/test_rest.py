"""The tenancy RPCs through the REST API: PostgREST and the gateway turn SQLSTATEs into
HTTP statuses.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from postgrest.exceptions import APIError

from helpers import one
from helpers.rpcs import KEEP_ADMIN_HINT, NOT_A_MEMBER_HINT, TOKEN, unique_slug, role_of, tenancy_counts, public_functions


# --- through the REST API -------------------------------------------------------------------


def post_rpc(rest, actor, fn: str, **args) -> httpx.Response:
    return httpx.post(f"{rest.url}/rest/v1/rpc/{fn}", headers=actor.headers, json=args)


def api_error(call) -> APIError:
    with pytest.raises(APIError) as info:
        call.execute()
    return info.value


def rest_org(user) -> dict:
    return user.client.rpc("create_organization", {"name": "Acme", "slug": unique_slug("rest")}).execute().data


def test_rest_create_organization(rest, rest_db, make_user):
    alice = make_user()
    slug = unique_slug("rest")
    org = alice.client.rpc("create_organization", {"name": "Acme REST", "slug": slug}).execute().data

    assert (org["name"], org["slug"]) == ("Acme REST", slug)
    mine = alice.client.rpc("my_organizations", {}).execute().data
    assert [(o["id"], o["role"]) for o in mine] == [(org["id"], "admin")]
    subscription = alice.client.table("subscriptions").select("status").eq("organization_id", org["id"]).execute()
    assert subscription.data == [{"status": "trialing"}]
    assert alice.client.rpc("has_org_role", {"organization_id": org["id"], "roles": ["admin"]}).execute().data is True


def test_rest_create_organization_taken_slug_is_409(rest, rest_db, make_user):
    alice, bob = make_user(), make_user()
    slug = rest_org(alice)["slug"]
    before = tenancy_counts(rest_db)

    response = post_rpc(rest, bob, "create_organization", name="Other", slug=slug)

    assert response.status_code == 409
    assert response.json()["code"] == "23505"
    assert response.json()["message"] == f'the slug "{slug}" is taken'
    assert tenancy_counts(rest_db) == before
    err = api_error(bob.client.rpc("create_organization", {"name": "Other", "slug": slug}))
    assert err.code == "23505" and slug in err.message


@pytest.mark.parametrize(("args", "code"), [
    ({"name": "Acme", "slug": "Bad Slug"}, "23514"),
    ({"name": " ", "slug": "fine-slug-x"}, "23514"),
    ({"name": "x" * 101, "slug": "fine-slug-y"}, "23514"),
    ({"name": "Acme", "slug": None}, "23502"),
])
def test_rest_create_organization_bad_input_is_400(rest, make_user, args, code):
    response = post_rpc(rest, make_user(), "create_organization", **args)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_rest_create_organization_anon_401_service_role_403(rest, anon, service_role):
    response = post_rpc(rest, anon, "create_organization", name="Acme", slug=unique_slug("rest"))
    assert response.status_code == 401
    assert response.json()["code"] == "42501"
    response = post_rpc(rest, service_role, "create_organization", name="Acme", slug=unique_slug("rest"))
    assert response.status_code == 403
    assert response.json()["message"] == "sign in to create an organization"


def test_rest_add_member(rest, rest_db, make_user, service_role):
    admin, member, newcomer, outsider = make_user(), make_user(), make_user(), make_user()
    org = rest_org(admin)["id"]

    added = post_rpc(rest, service_role, "add_member", organization_id=org, email=member.email.upper())
    assert (added.json()["user_id"], added.json()["role"]) == (member.id, "member")

    statuses_by_case = {
        "already a member": (post_rpc(rest, service_role, "add_member", organization_id=org, user_id=member.id), 409),
        "bad role": (post_rpc(rest, service_role, "add_member", organization_id=org, user_id=newcomer.id, role="owner"), 400),
        "neither id nor email": (post_rpc(rest, service_role, "add_member", organization_id=org), 400),
        "unknown user": (post_rpc(rest, service_role, "add_member", organization_id=org, user_id=str(uuid.uuid4())), 404),
        "admin, without consent": (post_rpc(rest, admin, "add_member", organization_id=org, user_id=newcomer.id), 403),
        "admin, by email": (post_rpc(rest, admin, "add_member", organization_id=org, email=newcomer.email), 403),
        "non-admin": (post_rpc(rest, member, "add_member", organization_id=org, user_id=newcomer.id), 403),
        "outsider": (post_rpc(rest, outsider, "add_member", organization_id=org, user_id=outsider.id), 404),
        "unknown org": (post_rpc(rest, service_role, "add_member", organization_id=str(uuid.uuid4()),
                                 user_id=newcomer.id), 404),
    }
    for case, (response, status) in statuses_by_case.items():
        assert response.status_code == status, (case, response.text)
    consent = statuses_by_case["admin, without consent"][0].json()
    assert "needs their consent" in consent["message"] and "invite_member" in consent["hint"]
    assert one(rest_db, "select count(*) from public.organization_members where organization_id = %s", (org,)) == 2


def test_rest_outsider_and_unknown_org_look_alike(rest, make_user):
    admin, outsider = make_user(), make_user()
    org = rest_org(admin)["id"]
    unknown = str(uuid.uuid4())
    bodies = {o: post_rpc(rest, outsider, "add_member", organization_id=o, user_id=outsider.id).json()
              for o in (org, unknown)}
    assert {o: (b["code"], b["message"].replace(o, "<org>"), b["hint"]) for o, b in bodies.items()} == {
        o: ("PT404", "organization <org> not found", NOT_A_MEMBER_HINT) for o in (org, unknown)}


def test_rest_change_role_and_remove(rest, rest_db, make_user, service_role):
    admin, member = make_user(), make_user()
    org = rest_org(admin)["id"]
    assert post_rpc(rest, service_role, "add_member", organization_id=org, user_id=member.id).status_code == 200

    demote_self = {"organization_id": org, "user_id": admin.id, "role": "viewer"}
    err = api_error(admin.client.rpc("change_member_role", demote_self))
    assert err.code == "23514" and err.hint == KEEP_ADMIN_HINT
    assert post_rpc(rest, member, "change_member_role", organization_id=org, user_id=member.id,
                    role="admin").status_code == 403
    assert post_rpc(rest, admin, "remove_member", organization_id=org, user_id=str(uuid.uuid4())).status_code == 404
    assert post_rpc(rest, admin, "leave_organization", organization_id=org).status_code == 400

    changed = admin.client.rpc("change_member_role", {"organization_id": org, "user_id": member.id, "role": "viewer"})
    assert changed.execute().data["role"] == "viewer"
    left = member.client.rpc("leave_organization", {"organization_id": org}).execute().data
    assert left["user_id"] == member.id
    assert post_rpc(rest, member, "leave_organization", organization_id=org).status_code == 404
    assert role_of(rest_db, org, admin) == "admin"


def test_rest_table_writes_keep_the_last_admin(rest, rest_db, make_user):
    admin = make_user()
    org = rest_org(admin)["id"]
    url = f"{rest.url}/rest/v1/organization_members"
    params = {"organization_id": f"eq.{org}", "user_id": f"eq.{admin.id}"}

    for response in (httpx.patch(url, params=params, headers=admin.headers, json={"role": "member"}),
                     httpx.delete(url, params=params, headers=admin.headers)):
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "23514"
        assert response.json()["hint"] == KEEP_ADMIN_HINT
    assert role_of(rest_db, org, admin) == "admin"

    slug = one(rest_db, "select slug from public.organizations where id = %s", (org,))
    deleted = post_rpc(rest, admin, "delete_organization", organization_id=org, confirm_slug=slug)
    assert deleted.status_code == 200, deleted.text
    assert one(rest_db, "select count(*) from public.organization_members where organization_id = %s", (org,)) == 0


def test_rest_invitations(rest, rest_db, make_user):
    admin, invitee, stranger = make_user(), make_user(), make_user()
    org = rest_org(admin)["id"]

    invited = admin.client.rpc("invite_member", {"organization_id": org, "email": invitee.email, "role": "viewer"})
    [created] = invited.execute().data  # a table function: one row
    assert TOKEN.fullmatch(created["token"])
    listed = admin.client.rpc("list_invitations", {"organization_id": org}).execute().data
    assert [i["status"] for i in listed] == ["pending"]
    assert created["token"] not in str(listed) and "token" not in listed[0]

    assert post_rpc(rest, invitee, "list_invitations", organization_id=org).status_code == 404
    assert post_rpc(rest, admin, "invite_member", organization_id=org, email="bad").status_code == 400
    assert post_rpc(rest, admin, "invite_member", organization_id=org, email=admin.email).status_code == 409
    assert post_rpc(rest, invitee, "accept_invitation", token="0" * 64).status_code == 404
    assert post_rpc(rest, stranger, "accept_invitation", token=created["token"]).status_code == 403

    joined = invitee.client.rpc("accept_invitation", {"token": created["token"]}).execute().data
    assert (joined["organization_id"], joined["role"]) == (org, "viewer")
    err = api_error(invitee.client.rpc("accept_invitation", {"token": created["token"]}))
    assert err.code == "P0001"
    assert post_rpc(rest, admin, "revoke_invitation", invitation_id=created["invitation_id"]).status_code == 400


def test_rest_expired_and_revoked_invitations(rest, rest_db, make_user, anon):
    admin, late, revoked = make_user(), make_user(), make_user()
    org = rest_org(admin)["id"]
    expired = post_rpc(rest, admin, "invite_member", organization_id=org, email=late.email).json()[0]
    rest_db.execute("update private.invitations set expires_at = now() - interval '1 second' where id = %s",
                    (expired["invitation_id"],))
    response = post_rpc(rest, late, "accept_invitation", token=expired["token"])
    assert response.status_code == 400 and response.json()["message"].startswith("this invitation expired at ")

    pending = post_rpc(rest, admin, "invite_member", organization_id=org, email=revoked.email).json()[0]
    assert post_rpc(rest, admin, "revoke_invitation", invitation_id=pending["invitation_id"]).status_code in (200, 204)
    assert post_rpc(rest, revoked, "accept_invitation", token=pending["token"]).status_code == 404
    assert post_rpc(rest, anon, "accept_invitation", token=pending["token"]).status_code == 401


def test_rest_anon_is_401_on_every_public_function(rest, rest_db, anon):
    """PostgREST finds a function by its argument names; EXECUTE is checked before any value is read."""
    for fn in public_functions(rest_db):
        args = dict.fromkeys(fn["arg_names"] or [])
        response = post_rpc(rest, anon, fn["proname"], **args)
        assert response.status_code == 401, (fn["signature"], response.text)
        assert response.json()["code"] == "42501", fn["signature"]
