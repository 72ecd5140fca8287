"""The world an isolation probe acts on (two organizations, their people and rows): what
tests/isolation/ shares."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg


ACTORS = ("anon", "outsider", "viewer", "member", "admin_a", "admin_b", "service")
IN_A = frozenset({"viewer", "member", "admin_a"})
WRITERS_A = frozenset({"member", "admin_a"})
SIGNED_IN = frozenset({"outsider", "viewer", "member", "admin_a", "admin_b"})


# -- the world a probe acts on ------------------------------------------------------


@dataclass
class World:
    """Ids of one fresh pair of organizations and everything in them."""

    ids: dict[str, str]
    users: dict[str, Any]
    token: str  # a pending invitation to org A for the outsider's address

    def __getitem__(self, key: str) -> str:
        return self.ids[key]


def build_world(su: psycopg.Connection, users: dict[str, Any]) -> World:
    tag = uuid.uuid4().hex[:10]
    ids: dict[str, str] = {}

    def insert(sql: str, params: tuple) -> str:
        return str(su.execute(sql, params).fetchone()[0])

    for org in ("a", "b", "c"):
        ids[f"org_{org}"] = insert(
            "insert into public.organizations (name, slug) values (%s, %s) returning id", (f"Org {org}", f"{org}-{tag}")
        )
    for name, org, role in (("admin_a", "a", "admin"), ("member", "a", "member"), ("viewer", "a", "viewer"), ("admin_b", "b", "admin")):
        ids[f"membership_{name}"] = insert(
            "insert into public.organization_members (organization_id, user_id, role) values (%s, %s, %s) returning id",
            (ids[f"org_{org}"], users[name].id, role),
        )
    for org in ("a", "b"):
        ids[f"subscription_{org}"] = insert(
            "insert into public.subscriptions (organization_id) values (%s) returning id", (ids[f"org_{org}"],)
        )
        ids[f"project_{org}"] = insert(
            "insert into public.projects (organization_id, name) values (%s, 'P') returning id", (ids[f"org_{org}"],)
        )
        ids[f"trashed_project_{org}"] = insert(
            "insert into public.projects (organization_id, name, deleted_at) values (%s, 'T', now() - interval '40 days') "
            "returning id", (ids[f"org_{org}"],),
        )
        ids[f"old_audit_{org}"] = insert(
            "insert into public.audit_logs (organization_id, action, entity_type, created_at) "
            "values (%s, 'logout', 'session', now() - interval '10 days') returning id", (ids[f"org_{org}"],),
        )
        ids[f"audit_{org}"] = insert(
            "insert into public.audit_logs (organization_id, action, entity_type) values (%s, 'login', 'session') returning id",
            (ids[f"org_{org}"],),
        )
    token = secrets.token_hex(32)
    ids["invitation_outsider"] = insert(
        "insert into private.invitations (organization_id, email, role, token_hash, invited_by, expires_at) "
        "values (%s, %s, 'member', %s, %s, now() + interval '1 day') returning id",
        (ids["org_a"], users["outsider"].email.lower(), hashlib.sha256(token.encode()).digest(), users["admin_a"].id),
    )
    ids["invitation_other"] = insert(
        "insert into private.invitations (organization_id, email, role, token_hash, expires_at) "
        "values (%s, %s, 'viewer', %s, now() + interval '1 day') returning id",
        (ids["org_a"], f"other-{tag}@example.test", hashlib.sha256(secrets.token_bytes(16)).digest()),
    )
    ids["tag"] = tag
    return World(ids, users, token)


def scalar(su: psycopg.Connection, sql: str, params: tuple = ()) -> Any:
    return su.execute(sql, params).fetchone()[0]


def fresh_world(su: psycopg.Connection, users: dict[str, Any]) -> World:
    # Profiles outlive a world: put the member's back as it was before the last probe.
    member = users["member"]
    su.execute(
        "insert into public.profiles (id, email) values (%s, %s) on conflict (id) do update set name = null",
        (member.id, member.email),
    )
    world = build_world(su, users)
    world.ids["outsider_id"] = users["outsider"].id
    world.ids["profile_member"] = users["member"].id
    # An auth user without an email has no profile: the target of a profile insert. Its
    # timestamps as GoTrue writes them: the REST database is shared, and the admin API
    # lists every user (tests/test_auth.py).
    world.ids["emailless_user"] = str(scalar(su, "insert into auth.users (id, aud, role, created_at, updated_at) values "
                                                "(gen_random_uuid(), 'authenticated', 'authenticated', now(), now()) "
                                                "returning id"))
    return world
