"""The holes of issue 12: each attack, through SQL and through REST."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from helpers.isolation import World, fresh_world


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
