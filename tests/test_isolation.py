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
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest

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
        {"select": IN_A | {"service"}, "insert": frozenset({"service"}), "update": frozenset({"admin_a", "service"}),
         "delete": frozenset({"admin_a", "service"})},
        insert_row=lambda w: {"name": "New", "slug": f"new-{w['tag']}"},
        inserted=_exists("select count(*) from public.organizations where slug = 'new-' || %s", "tag"),
        update=("name", "Renamed"),
        updated=_exists("select name = 'Renamed' from public.organizations where id = %s", "org_a"),
    ),
    table_case(
        "organization_members", "membership_viewer",
        {"select": IN_A | {"service"}, "insert": frozenset({"admin_a", "service"}),
         "update": frozenset({"admin_a", "service"}), "delete": frozenset({"viewer", "admin_a", "service"})},
        # The outsider joining org A: for the outsider, the attack "insert yourself".
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
        frozenset({"admin_a"}),
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
        "/organizations?select=id,organization_members(*),projects(*),subscriptions(*),audit_logs(*)",
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
