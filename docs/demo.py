"""A short tour of the local stack through supabase-py, as an app calling Supabase would.

Run after `supakit up`: python docs/demo.py
Each step prints what happened; any surprise raises, so the README's main command fails loudly.
"""

from __future__ import annotations

import uuid

from supabase import ClientOptions, create_client

from supakit.project import find_project
from supakit.stack import Stack, user_token


def client_for(info: dict[str, str], token: str):
    """A supabase-py client carrying a user's access token, like a signed-in app."""
    return create_client(info["api_url"], info["anon_key"], options=ClientOptions(headers={"Authorization": f"Bearer {token}"}))


def main() -> None:
    stack = Stack(find_project())
    if not all(stack.running().values()):
        raise SystemExit("the local stack is not running: supakit up")
    info = stack.info()
    run = uuid.uuid4().hex[:6]
    alice_token, _ = user_token(stack.db_url, stack.state.jwt_secret, f"alice-{run}@example.test")
    bob_token, _ = user_token(stack.db_url, stack.state.jwt_secret, f"bob-{run}@example.test")
    eve_token, _ = user_token(stack.db_url, stack.state.jwt_secret, f"eve-{run}@example.test")
    alice, bob, eve = (client_for(info, t) for t in (alice_token, bob_token, eve_token))
    print(f"API {info['api_url']}: three users signed in (alice, bob, eve)")

    org = alice.rpc("create_organization", {"name": "Acme", "slug": f"acme-{run}"}).execute().data
    print(f"alice created organization {org['slug']} (she is its admin, on a 14-day trial)")
    sub = alice.table("subscriptions").select("status,current_period_end").eq("organization_id", org["id"]).execute().data
    assert sub and sub[0]["status"] == "trialing", sub

    invitation = alice.rpc("invite_member", {"organization_id": org["id"], "email": f"bob-{run}@example.test"}).execute().data[0]
    bob.rpc("accept_invitation", {"token": invitation["token"]}).execute()
    print("alice invited bob; bob accepted and is a member")

    project = bob.table("projects").insert({"organization_id": org["id"], "name": "Launch"}).execute().data[0]
    print(f"bob created project {project['name']!r}")

    names = [p["name"] for p in alice.table("projects").select("name").eq("organization_id", org["id"]).execute().data]
    assert names == ["Launch"], names
    print(f"alice sees the organization's projects: {names}")

    assert eve.table("projects").select("id").execute().data == []
    assert eve.rpc("has_org_access", {"organization_id": org["id"]}).execute().data is False
    print("eve, in no organization, sees none of it (RLS)")

    mine = bob.rpc("my_organizations", {}).execute().data
    print(f"bob's organizations: {[(o['slug'], o['role']) for o in mine]}")
    print("demo: ok")


if __name__ == "__main__":
    main()
