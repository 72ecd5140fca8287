"""The cross-tenant isolation matrix: every exposed table and RPC x every caller x every operation.

Each probe runs against a fresh pair of organizations (A, with an admin, a member
and a viewer; B, with its own admin) and asks one question: did the operation on
organization A's data take effect? Effects are read back as the superuser, so a
probe cannot pass by an error message or an empty response alone. The same
expectations are checked through SQL (as PostgREST sets up a request) and through
the real REST API. A table, view or function in `public` that has no row here
fails the suite.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

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


# -- what a probe does, per transport -----------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One operation on org A's data: how to run it, and how to see that it took effect."""

    name: str
    sql: Callable[[World], tuple[str, dict]]
    rest: Callable[[World], tuple[str, str, Any]]
    took_effect: Callable[[psycopg.Connection, World, Any], bool]
    allowed: frozenset[str]
    check_response: Callable[[Any, World], bool] | None = None


@dataclass
class Case:
    object: str
    probes: list[Probe] = field(default_factory=list)


def _row_seen(target: str) -> Callable:
    def seen(su, world, result) -> bool:
        return any(str(row.get("id")) == world[target] for row in result or [])
    return seen


def _exists(sql: str, *keys: str) -> Callable:
    return lambda su, world, result: bool(scalar(su, sql, tuple(world[k] if k in world.ids else k for k in keys)))


def _gone(table: str, key: str) -> Callable:
    return lambda su, world, result: scalar(su, f"select count(*) from public.{table} where id = %s", (world[key],)) == 0


def _trashed(key: str) -> Callable:
    """A project delete by an API caller moves it to the trash (or, for the owner, removes it)."""
    return lambda su, world, result: scalar(
        su, "select coalesce(bool_or(deleted_at is not null), true) from public.projects where id = %s", (world[key],))


def table_case(
    table: str,
    target: str,
    allowed: dict[str, frozenset[str]],
    insert_row: Callable[[World], dict],
    inserted: Callable,
    update: tuple[str, Any],
    updated: Callable,
    deleted: Callable | None = None,
) -> Case:
    """`deleted` reads back a delete's effect (default: the row is gone)."""
    column, value = update

    def insert_sql(world):
        row = insert_row(world)
        cols = ", ".join(row)
        return f"insert into public.{table} ({cols}) values ({', '.join(f'%({c})s' for c in row)}) returning id", row

    return Case(table, [
        Probe("select", lambda w: (f"select id from public.{table} where id = %(id)s", {"id": w[target]}),
              lambda w: ("GET", f"/{table}?select=id&id=eq.{w[target]}", None),
              _row_seen(target), allowed["select"]),
        Probe("insert", insert_sql,
              lambda w: ("POST", f"/{table}", insert_row(w)),
              inserted, allowed["insert"]),
        Probe("update", lambda w: (f"update public.{table} set {column} = %(v)s where id = %(id)s", {"v": value, "id": w[target]}),
              lambda w: ("PATCH", f"/{table}?id=eq.{w[target]}", {column: value}),
              updated, allowed["update"]),
        Probe("delete", lambda w: (f"delete from public.{table} where id = %(id)s", {"id": w[target]}),
              lambda w: ("DELETE", f"/{table}?id=eq.{w[target]}", None),
              deleted or _gone(table, target), allowed["delete"]),
    ])


def rpc_case(
    name: str,
    args: Callable[[World], dict[str, tuple[Any, str]]],
    took_effect: Callable,
    allowed: frozenset[str],
) -> Case:
    """`args` maps parameter -> (value, SQL type); effects are read back as the superuser."""

    def sql(world):
        spec = args(world)
        named = ", ".join(f"{p} => %({p})s::{t}" for p, (_, t) in spec.items())
        return f"select to_jsonb(r) from public.{name}({named}) r", {p: v for p, (v, _) in spec.items()}

    return Case(name, [Probe(
        "execute", sql,
        lambda w: ("POST", f"/rpc/{name}", {p: v for p, (v, _) in args(w).items()}),
        took_effect, allowed,
    )])


def project_case(relation: str, target: str, delete_allowed: frozenset[str], deleted: Callable) -> Case:
    """The projects table and its active and trash views: the same rules, but for delete."""
    return table_case(
        relation, target,
        {"select": IN_A | {"service"}, "insert": WRITERS_A | {"service"}, "update": WRITERS_A | {"service"},
         "delete": delete_allowed},
        insert_row=lambda w: {"organization_id": w["org_a"], "name": f"new-{w['tag']}"},
        inserted=_exists("select count(*) from public.projects where name = 'new-' || %s", "tag"),
        update=("name", "Renamed"),
        updated=_exists("select name = 'Renamed' from public.projects where id = %s", target),
        deleted=deleted,
    )


def _reveals_org_a(su, world, result) -> bool:
    text = json.dumps(result)
    return world["org_a"] in text or "true" == text.strip().lower() or text.strip() == "[true]"


CASES = [
    table_case(
        "profiles", "profile_member",
        {"select": IN_A | {"service"}, "insert": frozenset({"service"}), "update": frozenset({"member", "service"}),
         "delete": frozenset({"service"})},
        insert_row=lambda w: {"id": w["emailless_user"], "email": f"late-{w['tag']}@example.test"},
        inserted=_exists("select count(*) from public.profiles where id = %s", "emailless_user"),
        update=("name", "Renamed"),
        updated=_exists("select name = 'Renamed' from public.profiles where id = %s", "profile_member"),
    ),
    table_case(
        "organizations", "org_a",
        # Deleting an organization is an RPC naming its slug (delete_organization), never a DELETE.
        {"select": IN_A | {"service"}, "insert": frozenset({"service"}), "update": frozenset({"admin_a", "service"}),
         "delete": frozenset({"service"})},
        insert_row=lambda w: {"name": "New", "slug": f"new-{w['tag']}"},
        inserted=_exists("select count(*) from public.organizations where slug = 'new-' || %s", "tag"),
        update=("name", "Renamed"),
        updated=_exists("select name = 'Renamed' from public.organizations where id = %s", "org_a"),
    ),
    table_case(
        "organization_members", "membership_viewer",
        # Nobody joins without consent: no caller inserts a membership (invitations do), but
        # the service role (provisioning).
        {"select": IN_A | {"service"}, "insert": frozenset({"service"}),
         "update": frozenset({"admin_a", "service"}), "delete": frozenset({"viewer", "admin_a", "service"})},
        # The outsider joining org A: for the outsider, the attack "insert yourself"; for
        # admin_a, "put someone in unasked".
        insert_row=lambda w: {"organization_id": w["org_a"], "user_id": w.users["outsider"].id, "role": "admin"},
        inserted=_exists("select count(*) from public.organization_members where organization_id = %s and user_id = %s",
                         "org_a", "outsider_id"),
        update=("role", "member"),
        updated=_exists("select role = 'member' from public.organization_members where id = %s", "membership_viewer"),
    ),
    table_case(
        "subscriptions", "subscription_a",
        {"select": IN_A | {"service"}, "insert": frozenset({"service"}), "update": frozenset({"service"}),
         "delete": frozenset({"service"})},
        insert_row=lambda w: {"organization_id": w["org_c"], "status": "active"},
        inserted=_exists("select count(*) from public.subscriptions where organization_id = %s", "org_c"),
        update=("status", "active"),
        updated=_exists("select status = 'active' from public.subscriptions where id = %s", "subscription_a"),
    ),
    project_case("projects", "project_a", WRITERS_A | {"service"}, _trashed("project_a")),
    project_case("active_projects", "project_a", WRITERS_A | {"service"}, _trashed("project_a")),
    # A delete through the trash is no purge: nobody's takes effect (purge is an RPC).
    project_case("trashed_projects", "trashed_project_a", frozenset(), _gone("projects", "trashed_project_a")),
    table_case(
        "audit_logs", "audit_a",
        {"select": frozenset({"admin_a", "service"}), "insert": frozenset({"service"}), "update": frozenset(),
         "delete": frozenset()},
        insert_row=lambda w: {"organization_id": w["org_a"], "action": "login", "entity_type": f"probe-{w['tag']}"},
        inserted=_exists("select count(*) from public.audit_logs where entity_type = 'probe-' || %s", "tag"),
        update=("action", "logout"),
        updated=_exists("select action = 'logout' from public.audit_logs where id = %s", "audit_a"),
    ),
    rpc_case(
        "create_organization",
        lambda w: {"name": ("Fresh", "text"), "slug": (f"fresh-{w['tag']}", "text")},
        _exists("select count(*) from public.organizations where slug = 'fresh-' || %s", "tag"),
        SIGNED_IN,
    ),
    rpc_case("my_organizations", lambda w: {}, _reveals_org_a, IN_A),
    rpc_case("has_org_access", lambda w: {"organization_id": (w["org_a"], "uuid")}, _reveals_org_a, IN_A),
    rpc_case(
        "has_org_role",
        lambda w: {"organization_id": (w["org_a"], "uuid"), "roles": (["admin"], "public.user_role[]")},
        _reveals_org_a, frozenset({"admin_a"}),
    ),
    rpc_case(
        "add_member",
        lambda w: {"organization_id": (w["org_a"], "uuid"), "user_id": (w.users["outsider"].id, "uuid")},
        _exists("select count(*) from public.organization_members where organization_id = %s and user_id = %s",
                "org_a", "outsider_id"),
        frozenset({"service"}),  # admins invite: adding someone needs their consent
    ),
    rpc_case(
        "delete_organization",
        lambda w: {"organization_id": (w["org_a"], "uuid"), "confirm_slug": (f"a-{w['tag']}", "text")},
        _gone("organizations", "org_a"),
        frozenset({"admin_a", "service"}),
    ),
    rpc_case(
        "change_member_role",
        lambda w: {"organization_id": (w["org_a"], "uuid"), "user_id": (w.users["viewer"].id, "uuid"),
                   "role": ("admin", "public.user_role")},
        _exists("select role = 'admin' from public.organization_members where id = %s", "membership_viewer"),
        frozenset({"admin_a"}),
    ),
    rpc_case(
        "remove_member",
        lambda w: {"organization_id": (w["org_a"], "uuid"), "user_id": (w.users["viewer"].id, "uuid")},
        _gone("organization_members", "membership_viewer"),
        frozenset({"admin_a", "viewer"}),
    ),
    rpc_case(
        "leave_organization",
        lambda w: {"organization_id": (w["org_a"], "uuid")},
        # Whoever called it left org A (the sole admin may not: the last-admin rule).
        lambda su, w, result: scalar(su, "select count(*) from public.organization_members where organization_id = %s", (w["org_a"],)) < 3,
        frozenset({"viewer", "member"}),
    ),
    rpc_case(
        "invite_member",
        lambda w: {"organization_id": (w["org_a"], "uuid"), "email": (f"invitee-{w['tag']}@example.test", "text")},
        _exists("select count(*) from private.invitations where email = 'invitee-' || %s || '@example.test'", "tag"),
        frozenset({"admin_a"}),
    ),
    rpc_case("list_invitations", lambda w: {"organization_id": (w["org_a"], "uuid")},
             lambda su, w, result: w["invitation_other"] in json.dumps(result), frozenset({"admin_a"})),
    rpc_case(
        "revoke_invitation",
        lambda w: {"invitation_id": (w["invitation_other"], "uuid")},
        _exists("select revoked_at is not null from private.invitations where id = %s", "invitation_other"),
        frozenset({"admin_a"}),
    ),
    rpc_case(
        "restore_project",
        lambda w: {"project_id": (w["trashed_project_a"], "uuid")},
        _exists("select deleted_at is null from public.projects where id = %s", "trashed_project_a"),
        WRITERS_A | {"service"},
    ),
    rpc_case(
        "purge_project",
        lambda w: {"project_id": (w["trashed_project_a"], "uuid")},
        _gone("projects", "trashed_project_a"),
        frozenset({"admin_a", "service"}),
    ),
    rpc_case(
        "empty_trash",
        lambda w: {"organization_id": (w["org_a"], "uuid")},
        _gone("projects", "trashed_project_a"),
        frozenset({"admin_a", "service"}),
    ),
    rpc_case(
        "log_event",
        lambda w: {"action": ("login", "text"), "organization_id": (w["org_a"], "uuid"), "entity_id": (w["tag"], "text")},
        _exists("select count(*) from public.audit_logs where entity_id = %s and organization_id = %s", "tag", "org_a"),
        IN_A,
    ),
    rpc_case("list_audit_logs", lambda w: {"organization_id": (w["org_a"], "uuid")},
             lambda su, w, result: w["audit_a"] in json.dumps(result), frozenset({"admin_a"})),
    rpc_case(
        "purge_audit_logs",
        lambda w: {"older_than": ("5 days", "interval")},
        _gone("audit_logs", "old_audit_a"),
        frozenset({"service"}),
    ),
    rpc_case(
        "accept_invitation",
        lambda w: {"token": (w.token, "text")},
        _exists("select count(*) from public.organization_members where organization_id = %s and user_id = %s",
                "org_a", "outsider_id"),
        frozenset({"outsider"}),
    ),
]


# -- the callers --------------------------------------------------------------------


@pytest.fixture
def callers(make_user, anon, service_role):
    users = {name: make_user(email=f"{name}-{uuid.uuid4().hex[:8]}@example.test")
             for name in ("outsider", "viewer", "member", "admin_a", "admin_b")}
    return users, {"anon": anon, "service": service_role, **users}


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
    # An auth user without an email has no profile: the target of a profile insert.
    world.ids["emailless_user"] = str(scalar(su, "insert into auth.users (id, aud, role) values (gen_random_uuid(), 'authenticated', "
                                                "'authenticated') returning id"))
    return world


def run_sql(actor, probe: Probe, world: World) -> tuple[bool, Any]:
    statement, params = probe.sql(world)
    try:
        cursor = actor.sql.execute(statement, params)
    except psycopg.Error:
        return False, None
    rows = cursor.fetchall() if cursor.description else []
    if probe.name == "execute":
        return True, [row[0] for row in rows]
    return True, [{"id": row[0]} for row in rows]


def run_rest(actor, probe: Probe, world: World, rest) -> tuple[bool, Any]:
    method, path, body = probe.rest(world)
    headers = {**actor.headers, "Prefer": "return=representation"}
    response = httpx.request(method, f"{rest.url}/rest/v1{path}", headers=headers, json=body, timeout=10)
    if response.status_code >= 400:
        return False, response.json()
    return True, response.json() if response.content else None


def check_case(case: Case, actors: dict[str, Any], users: dict[str, Any], su: psycopg.Connection, run) -> None:
    mismatches = []
    for probe in case.probes:
        for name in ACTORS:
            world = fresh_world(su, users)
            ok, result = run(actors[name], probe, world)
            effect = probe.took_effect(su, world, result if ok else None)
            expected = name in probe.allowed
            if effect != expected:
                mismatches.append(f"{case.object}.{probe.name} as {name}: expected {'allowed' if expected else 'refused'}, "
                                  f"got {'effect' if effect else 'no effect'} ({'ok' if ok else 'error'}: {str(result)[:120]})")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("case", CASES, ids=[c.object for c in CASES])
def test_matrix_through_sql(case, db, callers):
    users, actors = callers
    check_case(case, actors, users, db, run_sql)


@pytest.mark.parametrize("case", CASES, ids=[c.object for c in CASES])
def test_matrix_through_rest(case, rest, rest_db, callers):
    users, actors = callers
    check_case(case, actors, users, rest_db, lambda actor, probe, world: run_rest(actor, probe, world, rest))


def test_matrix_covers_every_exposed_object(db):
    """A new table, view or function in `public` must get its row in CASES."""
    relations = {r[0] for r in db.execute(
        "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'v', 'm', 'f')"
    )}
    functions = {r[0] for r in db.execute(
        "select proname from pg_proc where pronamespace = 'public'::regnamespace"
    )}
    covered = {case.object for case in CASES}
    assert relations | functions == covered, (
        f"not in the matrix: {sorted((relations | functions) - covered)}; no longer exposed: {sorted(covered - relations - functions)}"
    )


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


# -- the holes of issue 12: each attack, through SQL and through REST ----------------


TRANSPORTS = ("sql", "rest")


@dataclass
class Attacker:
    """One fresh world in the REST database; the same callers act through either transport."""

    world: World
    actors: dict[str, Any]
    su: psycopg.Connection
    rest_url: str

    def rest(self, who: str, method: str, path: str, body: Any = None, headers: dict | None = None) -> httpx.Response:
        merged = {**self.actors[who].headers, "Prefer": "return=representation", **(headers or {})}
        return httpx.request(method, f"{self.rest_url}/rest/v1{path}", headers=merged, json=body, timeout=30)

    def sql(self, who: str, statement: str, params: Any = ()) -> tuple[bool, Any]:
        """(succeeded, rows or the error)."""
        try:
            cursor = self.actors[who].sql.execute(statement, params)
        except psycopg.Error as error:
            return False, error
        return True, cursor.fetchall() if cursor.description else []

    def rpc(self, transport: str, who: str, fn: str, **args: Any) -> tuple[bool, Any]:
        if transport == "rest":
            response = self.rest(who, "POST", f"/rpc/{fn}", args)
            return response.status_code < 300, response.json() if response.content else None
        named = ", ".join(f"{name} => %({name})s" for name in args)
        params = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in args.items()}
        return self.sql(who, f"select to_jsonb(r) from public.{fn}({named}) r", params)

    def member_role(self, who: str, org: str = "org_a") -> str | None:
        row = self.su.execute("select role::text from public.organization_members where organization_id = %s "
                              "and user_id = %s", (self.world[org], self.world.users[who].id)).fetchone()
        return row[0] if row else None


@pytest.fixture
def attacker(rest, rest_db, callers) -> Callable[[], Attacker]:
    users, actors = callers
    return lambda: Attacker(fresh_world(rest_db, users), actors, rest_db, rest.url)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hole1_an_admin_cannot_put_anyone_into_their_org(attacker, transport):
    """An admin added any user (by id or email), then could promote them and leave them as
    the last admin of an organization they never joined. Now joining needs consent."""
    a = attacker()
    victim = a.world.users["outsider"]
    org = a.world["org_a"]
    attempts = [("add_member", {"organization_id": org, "user_id": victim.id, "role": "admin"}),
                ("add_member", {"organization_id": org, "email": victim.email, "role": "admin"})]
    for fn, args in attempts:
        ok, result = a.rpc(transport, "admin_a", fn, **args)
        assert not ok, result
        text = str(result if transport == "rest" else result.diag.message_primary)
        assert "needs their consent" in text
    if transport == "rest":
        response = a.rest("admin_a", "POST", "/organization_members",
                          {"organization_id": org, "user_id": victim.id, "role": "admin"})
        assert response.status_code == 403, response.text
    else:
        ok, _ = a.sql("admin_a", "insert into public.organization_members (organization_id, user_id, role) "
                                 "values (%s, %s, 'admin')", (org, victim.id))
        assert not ok
    assert a.member_role("outsider") is None
    # With consent (the invitee accepts), they join; the service role provisions directly.
    assert a.rpc(transport, "outsider", "accept_invitation", token=a.world.token)[0]
    assert a.member_role("outsider") == "member"
    assert a.rpc(transport, "service", "add_member", organization_id=a.world["org_b"], user_id=victim.id)[0]
    assert a.member_role("outsider", "org_b") == "member"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hole2a_an_invitation_does_not_outlive_its_inviters_admin_role(attacker, transport):
    a = attacker()
    org = a.world["org_a"]
    a.su.execute("update public.organization_members set role = 'admin' where id = %s", (a.world["membership_member"],))
    ok, invited = a.rpc(transport, "member", "invite_member", organization_id=org,
                        email=a.world.users["outsider"].email, role="admin")
    assert ok, invited
    token = (invited[0] if transport == "rest" else invited[0][0])["token"]
    assert a.rpc(transport, "admin_a", "change_member_role", organization_id=org,
                 user_id=a.world.users["member"].id, role="viewer")[0]
    ok, result = a.rpc(transport, "outsider", "accept_invitation", token=token)
    assert not ok and a.member_role("outsider") is None


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hole2b_a_viewer_who_leaves_cannot_return_as_admin(attacker, transport):
    a = attacker()
    org, viewer = a.world["org_a"], a.world.users["viewer"]
    token = secrets.token_hex(32)
    a.su.execute(
        "insert into private.invitations (organization_id, email, role, token_hash, invited_by, expires_at) "
        "values (%s, lower(%s), 'admin', %s, %s, now() + interval '1 day')",
        (org, viewer.email, hashlib.sha256(token.encode()).digest(), a.world.users["admin_a"].id))
    assert a.rpc(transport, "viewer", "leave_organization", organization_id=org)[0]
    ok, result = a.rpc(transport, "viewer", "accept_invitation", token=token)
    assert not ok and a.member_role("viewer") is None
    # The revocation is audited, in the name of whoever changed the membership.
    assert a.su.execute("select count(*) from public.audit_logs where entity_type = 'invitations' and action = 'update' "
                        "and user_id = %s and new_values ->> 'status' = 'revoked'", (viewer.id,)).fetchone()[0] == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hole3_members_cannot_forge_the_databases_audit_entries(attacker, transport):
    a = attacker()
    org = a.world["org_a"]
    before = a.su.execute("select count(*) from public.audit_logs").fetchone()[0]
    forged = [
        {"action": "invite", "entity_type": "invitations", "details": {"email": "x@example.test", "role": "admin"}},
        {"action": "remove", "entity_type": "organization_members"},
        {"action": "login", "entity_type": "organization_members"},
        {"action": "login", "details": {"blob": "x" * 5_000_000}},
    ]
    for who in ("viewer", "member", "admin_a"):
        for args in forged:
            ok, result = a.rpc(transport, who, "log_event", organization_id=org, **args)
            assert not ok, (who, args["action"], str(result)[:200])
            assert len(str(result)) < 2000
    assert a.su.execute("select count(*) from public.audit_logs").fetchone()[0] == before
    ok, logged = a.rpc(transport, "viewer", "log_event", action="login", organization_id=org, entity_type="app.sso")
    assert ok, logged


def test_hole4_a_spoofed_forwarded_address_does_not_reach_the_database(attacker):
    a = attacker()
    for spoof in ("203.0.113.7", "not-an-ip", "203.0.113.7, 10.0.0.1"):
        response = a.rest("member", "POST", "/rpc/log_event", {"action": "login"},
                          headers={"X-Forwarded-For": spoof, "X-Real-IP": "198.51.100.1"})
        assert response.status_code == 200, response.text
        assert response.json()["ip_address"] == "127.0.0.1", spoof


def test_hole4_a_trusted_proxys_forwarded_address_is_kept(attacker, rest, tmp_path):
    """Behind a configured proxy (here: loopback), the client address it forwards is used."""
    from supakit.stack import gateway, processes
    from supakit.providers.base import free_port

    a = attacker()
    config = gateway.GatewayConfig(free_port(), rest.postgrest_port, rest.anon_key, rest.service_key,
                                   trusted_proxies=("127.0.0.1",))
    process = gateway.start_gateway(config, tmp_path)
    try:
        response = httpx.post(f"http://127.0.0.1:{config.port}/rest/v1/rpc/log_event", json={"action": "login"},
                              headers={**a.actors["member"].headers, "X-Forwarded-For": "203.0.113.7"}, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["ip_address"] == "203.0.113.7"
    finally:
        processes.stop(process.pid, gateway.BINARY)


MEGABYTE = "x" * 1_000_000


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hole5_a_megabyte_is_refused_everywhere_and_never_echoed(attacker, transport):
    a = attacker()
    w = a.world
    writes = [  # (who, table, id key, column, value)
        ("member", "projects", "project_a", "name", MEGABYTE),
        ("member", "profiles", "profile_member", "name", MEGABYTE),
        ("member", "profiles", "profile_member", "avatar_url", MEGABYTE),
        ("admin_a", "organizations", "org_a", "logo_url", MEGABYTE),
        ("admin_a", "organizations", "org_a", "settings", {"k": MEGABYTE}),
    ]
    for who, table, key, column, value in writes:
        if transport == "rest":
            response = a.rest(who, "PATCH", f"/{table}?id=eq.{w[key]}", {column: value})
            assert response.status_code == 400, (table, column, response.text[:300])
            assert f"{table}_{column}_" in response.json()["message"] and len(response.text) < 2000
        else:
            ok, error = a.sql(who, f"update public.{table} set {column} = %s where id = %s",
                              (json.dumps(value) if isinstance(value, dict) else value, w[key]))
            assert not ok and error.sqlstate == "23514" and error.diag.constraint_name.startswith(f"{table}_{column}_")
    for table, column in (("projects", "name"), ("profiles", "name"), ("organizations", "logo_url")):
        stored = a.su.execute(f"select max(char_length({column})) from public.{table}").fetchone()[0] or 0
        assert stored < 10_000
    ok, result = a.rpc(transport, "member", "create_organization", name="Acme", slug=MEGABYTE)
    assert not ok and len(str(result)) < 1000


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hole5_one_trial_per_user_at_a_time(attacker, transport):
    a = attacker()
    created = []
    for i in range(5):
        ok, org = a.rpc(transport, "outsider", "create_organization", name="Trial", slug=f"trial-{i}-{a.world['tag']}")
        assert ok, org
        created.append((org if transport == "rest" else org[0][0])["id"])
    assert a.su.execute("select count(*) from public.subscriptions where organization_id = any(%s::uuid[]) "
                        "and status = 'trialing'", (created,)).fetchone()[0] == 1


def test_hole5_api_roles_have_timeouts_through_rest(attacker):
    """PostgREST applies the role's settings: 3 s for anon, 8 s for authenticated."""
    a = attacker()
    a.su.execute("create function public.zz_probe_timeouts() returns text language sql stable set search_path = '' "
                 "as $$ select current_setting('statement_timeout') || ' ' || current_setting('lock_timeout') $$")
    try:
        a.su.execute("grant execute on function public.zz_probe_timeouts() to anon, authenticated")
        a.su.execute("notify pgrst, 'reload schema'")
        seen = {}
        for _ in range(100):
            seen = {who: a.rest(who, "POST", "/rpc/zz_probe_timeouts", {}) for who in ("anon", "member")}
            if all(r.status_code == 200 for r in seen.values()):
                break
            time.sleep(0.1)
        assert seen["anon"].json().split()[0] == "3s", seen["anon"].text
        assert seen["member"].json().split()[0] == "8s", seen["member"].text
    finally:
        a.su.execute("drop function public.zz_probe_timeouts()")
        a.su.execute("notify pgrst, 'reload schema'")


def test_hole5_responses_are_capped_at_1000_rows(attacker):
    a = attacker()
    a.su.execute("insert into public.projects (organization_id, name) select %s, 'bulk' from generate_series(1, 1100)",
                 (a.world["org_a"],))
    response = a.rest("member", "GET", f"/projects?select=id&organization_id=eq.{a.world['org_a']}")
    assert response.status_code == 200 and len(response.json()) == 1000


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hole6_one_request_does_not_delete_an_organization(attacker, transport):
    a = attacker()
    org = a.world["org_a"]
    if transport == "rest":
        assert a.rest("admin_a", "DELETE", f"/organizations?id=eq.{org}").status_code == 403
    else:
        assert not a.sql("admin_a", "delete from public.organizations where id = %s", (org,))[0]
    for who, slug in (("admin_a", None), ("admin_a", "wrong"), ("member", f"a-{a.world['tag']}"),
                      ("admin_b", f"a-{a.world['tag']}")):
        assert not a.rpc(transport, who, "delete_organization", organization_id=org, confirm_slug=slug)[0]
    assert a.su.execute("select count(*) from public.organizations where id = %s", (org,)).fetchone()[0] == 1
    ok, deleted = a.rpc(transport, "admin_a", "delete_organization", organization_id=org, confirm_slug=f"a-{a.world['tag']}")
    assert ok, deleted
    assert a.su.execute("select count(*) from public.organizations where id = %s", (org,)).fetchone()[0] == 0
    # The deletion is on the record, by whom, naming the organization.
    who, slug = a.su.execute("select user_id::text, old_values ->> 'slug' from public.audit_logs where action = 'delete' "
                             "and entity_type = 'organizations' and entity_id = %s", (org,)).fetchone()
    assert (who, slug) == (a.world.users["admin_a"].id, f"a-{a.world['tag']}")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hole7_clients_cannot_choose_ids_timestamps_or_deleted_by(attacker, transport):
    a = attacker()
    w = a.world
    chosen = str(uuid.uuid4())
    attempts = [
        ("member", "POST", "projects", {"id": chosen, "organization_id": w["org_a"], "name": "mine"}),
        ("member", "POST", "projects", {"organization_id": w["org_a"], "name": "old", "created_at": "2000-01-01T00:00:00Z"}),
        ("member", "PATCH", "projects", {"deleted_by": w.users["viewer"].id}),
        ("admin_a", "PATCH", "organizations", {"created_at": "2000-01-01T00:00:00Z"}),
        ("admin_a", "PATCH", "organizations", {"id": chosen}),
    ]
    for who, method, table, body in attempts:
        if transport == "rest":
            target = f"?id=eq.{w['project_a' if table == 'projects' else 'org_a']}" if method == "PATCH" else ""
            response = a.rest(who, method, f"/{table}{target}", body)
            assert response.status_code == 403, (table, body, response.text)
        else:
            columns = ", ".join(body)
            if method == "POST":
                statement = f"insert into public.{table} ({columns}) values ({', '.join(['%s'] * len(body))})"
                params = tuple(body.values())
            else:
                statement = f"update public.{table} set {', '.join(f'{c} = %s' for c in body)} where id = %s"
                params = (*body.values(), w["project_a" if table == "projects" else "org_a"])
            assert not a.sql(who, statement, params)[0], (table, body)
    assert a.su.execute("select count(*) from public.projects where id = %s or name = 'old'", (chosen,)).fetchone()[0] == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hole7_anon_writes_nothing_even_without_a_policy(attacker, transport):
    """Revoked, not merely filtered by RLS: a forgotten policy cannot open a table to anon."""
    a = attacker()
    for table in ("projects", "organizations", "organization_members", "profiles", "subscriptions", "audit_logs",
                  "active_projects", "trashed_projects"):
        for privilege in ("insert", "update", "delete", "truncate", "trigger", "references"):
            assert not a.su.execute("select has_table_privilege('anon', %s, %s)",
                                    (f"public.{table}", privilege)).fetchone()[0], (table, privilege)
        if transport == "rest":
            assert a.rest("anon", "DELETE", f"/{table}").status_code == 401, table
        else:
            ok, error = a.sql("anon", f"delete from public.{table}")
            assert not ok and error.sqlstate == "42501", table
    # What is created in public from now on (by the role that migrates, `postgres` as on
    # Supabase: the migrations' default privileges are its own) is not granted to anon either.
    migrator = a.su.execute("select tableowner from pg_catalog.pg_tables where schemaname = 'public' "
                            "and tablename = 'projects'").fetchone()[0]
    a.su.execute(sql.SQL("set role {}").format(sql.Identifier(migrator)))
    try:
        a.su.execute("create table public.zz_future (id bigint primary key)")
        a.su.execute("create function public.zz_future_fn() returns int language sql set search_path = '' as 'select 1'")
    finally:
        a.su.execute("reset role")
    try:
        assert not a.su.execute("select has_table_privilege('anon', 'public.zz_future', 'insert') "
                                "or has_function_privilege('anon', 'public.zz_future_fn()', 'execute')").fetchone()[0]
    finally:
        a.su.execute("drop table public.zz_future; drop function public.zz_future_fn()")


def test_hole4_trusted_proxies_are_addresses_only(monkeypatch):
    """They land in nginx.conf: anything but an address or a CIDR range is an error."""
    from supakit.stack import gateway

    assert gateway.parse_trusted_proxies(" 10.0.0.1, 192.168.0.0/16 ,::1") == ("10.0.0.1/32", "192.168.0.0/16", "::1/128")
    for bad in ("10.0.0.1; include /etc/passwd", "example.com", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="not an IP address or CIDR range"):
            gateway.parse_trusted_proxies(bad)
    monkeypatch.setenv("SUPAKIT_TRUSTED_PROXIES", "172.16.0.0/12")
    config = gateway.GatewayConfig(1, 2, "anon", "service")
    assert config.trusted_proxies == ("172.16.0.0/12",)
    assert "set_real_ip_from 172.16.0.0/12;" in config.render(Path("/tmp")) and "real_ip_recursive on;" in config.render(Path("/tmp"))
    monkeypatch.delenv("SUPAKIT_TRUSTED_PROXIES")
    assert "set_real_ip_from" not in gateway.GatewayConfig(1, 2, "anon", "service").render(Path("/tmp"))
