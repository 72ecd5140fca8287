"""The matrix: every exposed table and RPC x every caller x every operation, through SQL
and through REST; an object in `public` without a row here fails the suite.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest

from helpers.isolation import ACTORS, IN_A, WRITERS_A, SIGNED_IN, World, scalar, fresh_world


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
