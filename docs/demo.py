"""A short tour of the local stack through supakit's client, as an app calling Supabase would.

Run after `supakit up`: python docs/demo.py (tests/test_client_demo.py runs the same tour
against the test suite's PostgREST). Each step prints what happened; any surprise raises, so
the README's main command fails loudly.
Every call below is supabase-py talking to PostgREST through the gateway, with the
user's access token; the database's policies and RPCs decide what each user may do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from supakit import Client
from supakit.client import NotFound, PermissionDenied
from supakit.project import find_project
from supakit.stack import Stack, user_token


def tour(api_url: str, anon_key: str, sign_in: Callable[[str], str]) -> None:
    """The demo against any Supabase-shaped API; `sign_in(email)` gives that user's access token."""
    run = uuid.uuid4().hex[:6]
    emails = {name: f"{name}-{run}@example.test" for name in ("alice", "bob", "eve")}
    tokens = {name: sign_in(email) for name, email in emails.items()}
    app = Client(api_url, anon_key)  # what an app holds; each user gets their own view of it
    alice, bob, eve = (app.with_token(tokens[name]) for name in ("alice", "bob", "eve"))
    print(f"API {api_url}: three users signed in (alice, bob, eve)")

    org = alice.organizations.create("Acme", f"acme-{run}")
    print(f"alice created organization {org.slug} (she is its admin, on a 14-day trial)")
    assert alice.subscriptions.get(org.id).status == "trialing"

    invitation = alice.members.invite(org.id, emails["bob"])
    bob.members.accept_invitation(invitation.token)
    names = {alice.user_id: "alice", bob.user_id: "bob"}
    members = [(names[str(m.user_id)], m.role.value) for m in alice.members.list(org.id)]
    assert members == [("alice", "admin"), ("bob", "member")], members
    print(f"alice invited bob; bob accepted and is a member: {members}")

    project = bob.projects.create(org.id, "Launch")
    print(f"bob created project {project.name!r}")
    assert [p.name for p in alice.projects.list(org.id)] == ["Launch"]

    trashed = bob.projects.delete(project.id)
    assert trashed.deleted_at is not None and alice.projects.list(org.id) == []
    print(f"bob deleted it: it is in the trash ({[p.name for p in alice.projects.trash(org.id)]}), not in the list")
    restored = alice.projects.restore(project.id)
    assert restored.deleted_at is None
    print(f"alice restored it: {[p.name for p in alice.projects.list(org.id)]}")

    assert eve.projects.list() == [] and eve.organizations.has_access(org.id) is False
    try:
        eve.projects.update(project.id, name="Mine")
    except NotFound:
        print("eve, in no organization, sees none of it and cannot change it (RLS)")
    try:
        bob.audit.list(org.id)
    except PermissionDenied as refused:
        print(f"bob may not read the audit log: {refused.message}")

    log = alice.audit.list(org.id, limit=10)
    print("the audit log, newest first (alice is the admin):")
    for entry in log:
        who = names.get(str(entry.user_id), "-")
        print(f"  {entry.created_at:%H:%M:%S}  {who:5}  {entry.action:11}  {entry.entity_type}")
    assert [e.action for e in log[:3]] == ["restore", "soft_delete", "create"], [e.action for e in log]

    mine = bob.organizations.list_mine()
    print(f"bob's organizations: {[(o.slug, o.role.value) for o in mine]}")
    for client in (app, alice, bob, eve):
        client.close()
    print("demo: ok")


def main() -> None:
    stack = Stack(find_project())
    if not all(stack.running().values()):
        raise SystemExit("the local stack is not running: supakit up")
    info = stack.info()
    tour(info["api_url"], info["anon_key"], lambda email: user_token(stack.db_url, stack.state.jwt_secret, email)[0])


if __name__ == "__main__":
    main()
