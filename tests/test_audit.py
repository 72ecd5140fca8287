"""The audit trail (sql/functions/080_audit.sql, 110_audit_rpcs.sql): what each write
leaves in public.audit_logs, and who may read, write or remove entries.

Every behaviour test runs twice, through SQL (`user.sql`: PostgREST's role, claims
and request headers per transaction) and through the real PostgREST behind the
gateway (httpx with the caller's headers), and reads the log back as the superuser.
Both transports send the same client headers: `x-forwarded-for: 203.0.113.7,
10.0.0.1` and `user-agent: probe/1.0`, so every entry must name 203.0.113.7 (the
first hop). Over REST they go through a gateway that trusts loopback and 10.0.0.0/8
as proxies (a load balancer in front of it), which resolves the same client; the
session's own gateway trusts no proxy and records its peer (tests/test_isolation.py). REST tests share one
database for the session: each creates its own organizations (unique slugs) and
only ever looks at its own rows.

Who may call what is the matrix's job (tests/test_isolation.py); these tests are
about what gets recorded and how the RPCs behave.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

CLIENT = {"x-forwarded-for": "203.0.113.7, 10.0.0.1", "user-agent": "probe/1.0"}
CLIENT_IP, CLIENT_AGENT = "203.0.113.7", "probe/1.0"


# --- one API, two transports -----------------------------------------------------------


class Refused(Exception):
    """A refused call, as either transport reports it: the SQLSTATE (PostgREST's `code`)."""

    def __init__(self, code: str | None, message: str | None, hint: str | None = None, status: int | None = None):
        super().__init__(f"{code} ({status}): {message}")
        self.code, self.message, self.hint, self.status = code, message, hint, status


class Via:
    """Table writes and RPC calls as an API caller, through SQL or through REST.

    Results are JSON-shaped either way (uuids and timestamps as strings), so a test
    compares them with what the superuser reads back, whatever the transport.
    """

    def __init__(self, name: str, su: psycopg.Connection, rest: Any):
        self.name, self.su, self.rest = name, su, rest
        self.client_headers: dict[str, str] = dict(CLIENT)
        self._retset: dict[str, bool] = {}

    # -- transports

    def sql(self, actor, query, params=()) -> list[Any]:
        actor.sql.headers = dict(self.client_headers)
        try:
            cursor = actor.sql.execute(query, params)
        except psycopg.Error as exc:
            raise Refused(exc.sqlstate, exc.diag.message_primary, exc.diag.message_hint) from exc
        return [row[0] for row in cursor.fetchall()] if cursor.description else []

    def http(self, actor, method: str, path: str, body: Any = None, prefer: str = "return=representation") -> Any:
        headers = {**actor.headers, **self.client_headers, "Prefer": prefer}
        response = httpx.request(method, f"{self.rest.url}/rest/v1{path}", headers=headers, json=body, timeout=10)
        if response.status_code >= 400:
            error = response.json() if response.content else {}
            raise Refused(error.get("code"), error.get("message"), error.get("hint"), response.status_code)
        return response.json() if response.content else None

    # -- tables

    @staticmethod
    def _where(match: dict[str, Any]) -> tuple[sql.Composable, list[Any]]:
        return (sql.SQL(" and ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in match), list(match.values()))

    @staticmethod
    def _filters(match: dict[str, Any]) -> str:
        return "&".join(f"{k}=eq.{v}" for k, v in match.items())

    def select(self, actor, table: str, match: dict[str, Any] | None = None) -> list[dict]:
        match = match or {}
        if self.name == "rest":
            return self.http(actor, "GET", f"/{table}?{self._filters(match)}")
        where, params = self._where(match) if match else (sql.SQL("true"), [])
        query = sql.SQL("select to_jsonb(t) from public.{} t where {}").format(sql.Identifier(table), where)
        return self.sql(actor, query, params)

    def insert(self, actor, table: str, rows: dict | list[dict]) -> list[dict]:
        if self.name == "rest":
            return self.http(actor, "POST", f"/{table}", rows)
        rows = rows if isinstance(rows, list) else [rows]
        cols = list(rows[0])
        query = sql.SQL("with w as (insert into public.{} ({}) values {} returning *) select to_jsonb(w) from w").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, cols)),
            sql.SQL(", ").join(sql.SQL("({})").format(sql.SQL(", ").join(sql.Placeholder() * len(cols))) for _ in rows),
        )
        return self.sql(actor, query, [_adapt(r[c]) for r in rows for c in cols])

    def update(self, actor, table: str, match: dict[str, Any], values: dict[str, Any]) -> list[dict]:
        if self.name == "rest":
            return self.http(actor, "PATCH", f"/{table}?{self._filters(match)}", values)
        where, params = self._where(match)
        query = sql.SQL("with w as (update public.{} set {} where {} returning *) select to_jsonb(w) from w").format(
            sql.Identifier(table),
            sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in values),
            where,
        )
        return self.sql(actor, query, [*map(_adapt, values.values()), *params])

    def delete(self, actor, table: str, match: dict[str, Any]) -> list[dict]:
        if self.name == "rest":
            return self.http(actor, "DELETE", f"/{table}?{self._filters(match)}")
        where, params = self._where(match)
        query = sql.SQL("with w as (delete from public.{} where {} returning *) select to_jsonb(w) from w").format(
            sql.Identifier(table), where)
        return self.sql(actor, query, params)

    # -- RPCs

    def rpc(self, actor, fn: str, **args) -> Any:
        """PostgREST's answer: a list for set-returning functions, else the one value."""
        if self.name == "rest":
            return self.http(actor, "POST", f"/rpc/{fn}", args)
        query = sql.SQL("select to_jsonb(r) from public.{}({}) r").format(
            sql.Identifier(fn),
            sql.SQL(", ").join(sql.SQL("{} => %s").format(sql.Identifier(name)) for name in args),
        )
        rows = self.sql(actor, query, [_adapt(v) for v in args.values()])
        if fn not in self._retset:
            self._retset[fn] = self.su.execute(
                "select bool_or(proretset) from pg_proc where proname = %s and pronamespace = 'public'::regnamespace",
                (fn,)).fetchone()[0]
        return rows if self._retset[fn] else (rows[0] if rows else None)


def _adapt(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict) else value


def refused(code: str, call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as info:
        call(*args, **kwargs)
    assert info.value.code == code, str(info.value)
    return info.value


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def proxied_rest(rest, tmp_path_factory):
    """A second gateway in front of the same PostgREST, behind trusted proxies."""
    from types import SimpleNamespace

    from supakit.stack import gateway, processes
    from supakit.providers.base import free_port

    config = gateway.GatewayConfig(free_port(), rest.postgrest_port, rest.anon_key, rest.service_key,
                                   trusted_proxies=("127.0.0.1", "10.0.0.0/8"))
    process = gateway.start_gateway(config, tmp_path_factory.mktemp("proxied-gateway"))
    yield SimpleNamespace(url=f"http://127.0.0.1:{config.port}")
    processes.stop(process.pid, gateway.BINARY)


@pytest.fixture(params=["sql", "rest"])
def via(request) -> Via:
    if request.param == "rest":
        # `rest` first: the users `make_user` creates then live in the REST database.
        request.getfixturevalue("rest")
        return Via("rest", request.getfixturevalue("rest_db"), request.getfixturevalue("proxied_rest"))
    return Via("sql", request.getfixturevalue("db"), None)


class Team:
    """An organization created by its admin through the transport, with a member and a
    viewer; an outsider with an organization of their own; anon and the service role."""

    def __init__(self, via: Via, request):
        make_user = request.getfixturevalue("make_user")
        self.via = via
        self.admin, self.member, self.viewer, self.outsider = (make_user() for _ in range(4))
        self.anon = request.getfixturevalue("anon")
        self.service = request.getfixturevalue("service_role")
        self.org = self.new_org(self.admin)
        via.rpc(self.service, "add_member", organization_id=self.org, user_id=self.member.id, role="member")
        via.rpc(self.service, "add_member", organization_id=self.org, user_id=self.viewer.id, role="viewer")
        self.other_org = self.new_org(self.outsider)

    def new_org(self, admin, name: str = "Acme") -> str:
        return self.via.rpc(admin, "create_organization", name=name, slug=f"audit-{uuid.uuid4().hex[:12]}")["id"]

    def project(self, name: str = "P", org: str | None = None, actor=None) -> str:
        return self.via.insert(actor or self.member, "projects", {"organization_id": org or self.org, "name": name})[0]["id"]


@pytest.fixture
def team(via, request) -> Team:
    return Team(via, request)


# --- reading the log back --------------------------------------------------------------


def log(su: psycopg.Connection, **where: Any) -> list[dict]:
    """Entries matching `where` (None means `is null`), oldest first, as JSON."""
    clauses = [sql.SQL("{} is null" if v is None else "{} = %s").format(sql.Identifier(k)) for k, v in where.items()]
    query = sql.SQL("select to_jsonb(a) from public.audit_logs a where {} order by created_at, id").format(
        sql.SQL(" and ").join(clauses) if clauses else sql.SQL("true"))
    return [row[0] for row in su.execute(query, [v for v in where.values() if v is not None]).fetchall()]


def only(entries: list[dict]) -> dict:
    assert len(entries) == 1, entries
    return entries[0]


def entry(su, action: str, entity_type: str, entity_id: str, **where) -> dict:
    return only(log(su, action=action, entity_type=entity_type, entity_id=str(entity_id), **where))


def by(e: dict) -> tuple:
    """Who and where from: actor, organization, ip address, user agent."""
    return e["user_id"], e["organization_id"], e["ip_address"], e["user_agent"]


def count(su, query: str, params: tuple = ()) -> int:
    return su.execute(query, params).fetchone()[0]


# --- projects: every action ------------------------------------------------------------


def test_project_lifecycle_is_audited(via, team):
    su, member, admin = via.su, team.member, team.admin
    project = via.insert(member, "projects", {"organization_id": team.org, "name": "Apollo"})[0]
    pid = project["id"]

    created = entry(su, "create", "projects", pid)
    assert by(created) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert created["new_values"] == project and created["old_values"] is None and created["changed_keys"] is None

    via.update(member, "projects", {"id": pid}, {"name": "Artemis"})
    updated = entry(su, "update", "projects", pid)
    assert by(updated) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["name"]
    assert (updated["old_values"]["name"], updated["new_values"]["name"]) == ("Apollo", "Artemis")
    assert updated["old_values"]["updated_at"] != updated["new_values"]["updated_at"]  # recorded, not a changed key

    via.delete(member, "projects", {"id": pid})
    trashed = entry(su, "soft_delete", "projects", pid)
    assert by(trashed) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert trashed["changed_keys"] == ["deleted_at", "deleted_by"]
    assert trashed["old_values"]["deleted_at"] is None and trashed["new_values"]["deleted_at"] is not None
    assert trashed["new_values"]["deleted_by"] == member.id

    via.rpc(member, "restore_project", project_id=pid)
    restored = entry(su, "restore", "projects", pid)
    assert by(restored) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert restored["changed_keys"] == ["deleted_at", "deleted_by"]
    assert restored["new_values"]["deleted_at"] is None and restored["new_values"]["deleted_by"] is None

    via.delete(member, "projects", {"id": pid})
    via.rpc(admin, "purge_project", project_id=pid)
    purged = entry(su, "purge", "projects", pid)
    assert by(purged) == (admin.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert purged["old_values"]["deleted_by"] == member.id and purged["new_values"] is None
    assert purged["changed_keys"] is None

    assert [e["action"] for e in log(su, entity_type="projects", entity_id=pid)] == [
        "create", "update", "soft_delete", "restore", "soft_delete", "purge"]
    # Nothing else was written for the project: no 'delete', no stray 'update'.


def test_superuser_sql_is_audited_without_actor_or_client(via, team):
    su = via.su
    pid = str(su.execute("insert into public.projects (organization_id, name) values (%s, 'Ops') returning id",
                         (team.org,)).fetchone()[0])
    su.execute("update public.projects set name = 'Ops 2' where id = %s", (pid,))
    su.execute("delete from public.projects where id = %s", (pid,))  # the owner: a real delete
    entries = log(su, entity_type="projects", entity_id=pid)
    assert [e["action"] for e in entries] == ["create", "update", "delete"]
    assert all(by(e) == (None, team.org, None, None) for e in entries)
    assert entries[2]["old_values"]["name"] == "Ops 2"


# --- organizations, members, subscriptions, profiles ------------------------------------


def test_organization_create_update_delete_is_audited(via, team):
    su, admin = via.su, team.admin
    su.execute("update public.subscriptions set status = 'active' where organization_id = %s", (team.org,))  # one trial at a time
    org = team.new_org(admin, name="Globex")
    # create_organization: the organization, its first admin and its trial, all by the caller.
    created = entry(su, "create", "organizations", org)
    assert by(created) == (admin.id, org, CLIENT_IP, CLIENT_AGENT) and created["new_values"]["name"] == "Globex"
    membership = only(log(su, action="create", entity_type="organization_members", organization_id=org))
    assert by(membership) == (admin.id, org, CLIENT_IP, CLIENT_AGENT)
    assert (membership["new_values"]["user_id"], membership["new_values"]["role"]) == (admin.id, "admin")
    trial = only(log(su, action="create", entity_type="subscriptions", organization_id=org))
    assert by(trial) == (admin.id, org, CLIENT_IP, CLIENT_AGENT) and trial["new_values"]["status"] == "trialing"

    via.update(admin, "organizations", {"id": org}, {"name": "Globex Corp", "settings": {"theme": "dark"}})
    updated = entry(su, "update", "organizations", org)
    assert by(updated) == (admin.id, org, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["name", "settings"]
    assert updated["old_values"]["settings"] == {} and updated["new_values"]["settings"] == {"theme": "dark"}

    # The same values again: a no-op, nothing written.
    via.update(admin, "organizations", {"id": org}, {"name": "Globex Corp"})
    assert len(log(su, action="update", entity_type="organizations", entity_id=org)) == 1

    live = team.project("Live", org=org, actor=admin)
    trashed = team.project("Trashed", org=org, actor=admin)
    via.delete(admin, "projects", {"id": trashed})
    slug = su.execute("select slug from public.organizations where id = %s", (org,)).fetchone()[0]
    via.rpc(admin, "delete_organization", organization_id=org, confirm_slug=slug)

    # The organization and everything of it went, each entry by the admin, from the
    # client; every entry keeps the organization (no foreign key nulls it): its
    # history stays attributable to it after it is gone.
    deleted = entry(su, "delete", "organizations", org)
    assert by(deleted) == (admin.id, org, CLIENT_IP, CLIENT_AGENT) and deleted["old_values"]["name"] == "Globex Corp"
    cascade = {(e["entity_type"], e["action"]): e for e in log(su, user_id=admin.id, organization_id=org)
               if e["action"] in ("delete", "purge")}
    assert set(cascade) == {("organizations", "delete"), ("organization_members", "delete"),
                            ("subscriptions", "delete"), ("projects", "delete"), ("projects", "purge")}
    assert cascade[("projects", "delete")]["entity_id"] == live
    assert cascade[("projects", "purge")]["entity_id"] == trashed
    assert all(by(e) == (admin.id, org, CLIENT_IP, CLIENT_AGENT) for e in cascade.values())
    assert all(e["old_values"]["organization_id"] == org for k, e in cascade.items() if k[0] != "organizations")
    # The whole history is still there, with its organization: every entry written
    # while it lived, and the deletions.
    assert entry(su, "create", "organizations", org)["organization_id"] == org
    history = log(su, organization_id=org)
    assert count(su, "select count(*) from public.organizations where id = %s", (org,)) == 0
    assert {(e["entity_type"], e["action"]) for e in history} >= {
        ("organizations", "create"), ("organizations", "update"), ("organization_members", "create"),
        ("subscriptions", "create"), ("projects", "create"), ("projects", "soft_delete"),
        ("organizations", "delete"), ("projects", "purge")}


def test_membership_changes_are_audited(via, team):
    su, admin = via.su, team.admin
    newcomer = team.outsider
    invited = only(via.rpc(admin, "invite_member", organization_id=team.org, email=newcomer.email, role="viewer"))
    added = via.rpc(newcomer, "accept_invitation", token=invited["token"])
    created = entry(su, "create", "organization_members", added["id"])
    assert by(created) == (newcomer.id, team.org, CLIENT_IP, CLIENT_AGENT)  # joining is the invitee's act
    assert (created["new_values"]["user_id"], created["new_values"]["role"]) == (newcomer.id, "viewer")

    via.rpc(admin, "change_member_role", organization_id=team.org, user_id=newcomer.id, role="member")
    updated = entry(su, "update", "organization_members", added["id"])
    assert by(updated) == (admin.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["role"]
    assert (updated["old_values"]["role"], updated["new_values"]["role"]) == ("viewer", "member")

    # The same role again changes nothing: nothing written.
    via.rpc(admin, "change_member_role", organization_id=team.org, user_id=newcomer.id, role="member")
    assert len(log(su, action="update", entity_type="organization_members", entity_id=added["id"])) == 1

    via.rpc(admin, "remove_member", organization_id=team.org, user_id=newcomer.id)
    removed = entry(su, "delete", "organization_members", added["id"])
    assert by(removed) == (admin.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert removed["old_values"]["user_id"] == newcomer.id and removed["new_values"] is None


def test_subscription_writes_by_the_service_role_have_no_actor(via, team):
    su, service = via.su, team.service
    sub = only(via.update(service, "subscriptions", {"organization_id": team.org}, {"status": "active"}))
    updated = entry(su, "update", "subscriptions", sub["id"])
    assert by(updated) == (None, team.org, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["status"]
    assert (updated["old_values"]["status"], updated["new_values"]["status"]) == ("trialing", "active")

    via.delete(service, "subscriptions", {"id": sub["id"]})
    deleted = entry(su, "delete", "subscriptions", sub["id"])
    assert by(deleted) == (None, team.org, CLIENT_IP, CLIENT_AGENT)

    again = via.insert(service, "subscriptions", {"organization_id": team.org, "status": "past_due"})[0]
    created = entry(su, "create", "subscriptions", again["id"])
    assert by(created) == (None, team.org, CLIENT_IP, CLIENT_AGENT) and created["new_values"]["status"] == "past_due"


def test_profile_update_is_audited_without_organization(via, team):
    su, member = via.su, team.member
    via.update(member, "profiles", {"id": member.id}, {"name": "Mia"})
    updated = entry(su, "update", "profiles", member.id)
    assert by(updated) == (member.id, None, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["name"] and updated["new_values"]["name"] == "Mia"
    via.update(member, "profiles", {"id": member.id}, {"name": "Mia"})
    assert len(log(su, action="update", entity_type="profiles", entity_id=member.id)) == 1


def test_invitations_are_audited(via, team):
    su = via.su
    created = only(via.rpc(team.admin, "invite_member", organization_id=team.org, email="Someone@Example.test",
                           role="viewer"))
    invited = entry(su, "invite", "invitations", created["invitation_id"])
    assert by(invited) == (team.admin.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert invited["new_values"]["email"] == "someone@example.test" and invited["new_values"]["role"] == "viewer"
    assert created["token"] not in str(invited)


# --- where a request came from ----------------------------------------------------------


def test_ip_address_falls_back_to_x_real_ip_and_else_is_null(db, make_user):
    via = Via("sql", db, None)
    user = make_user()
    cases = [
        ({"x-forwarded-for": " 198.51.100.4 ,10.0.0.1", "x-real-ip": "10.9.9.9"}, "198.51.100.4"),
        ({"x-real-ip": "192.0.2.55", "user-agent": "probe/1.0"}, "192.0.2.55"),
        ({"x-forwarded-for": "", "x-real-ip": "192.0.2.56"}, "192.0.2.56"),
        ({}, None),
    ]
    for headers, ip in cases:
        via.client_headers = headers
        logged = via.rpc(user, "log_event", action="login")
        stored = only(log(db, id=logged["id"]))
        assert (stored["ip_address"], stored["user_agent"]) == (ip, headers.get("user-agent")), headers


def test_rest_without_forwarded_for_records_the_gateways_peer(rest, rest_db, make_user):
    via = Via("rest", rest_db, rest)
    user = make_user()
    via.client_headers = {"user-agent": "probe/2.0"}
    logged = via.rpc(user, "log_event", action="login")
    assert (logged["ip_address"], logged["user_agent"]) == ("127.0.0.1", "probe/2.0")


def test_supabase_py_client_is_audited(rest, rest_db, make_user):
    user = make_user()
    org = user.client.rpc("create_organization", {"name": "Py", "slug": f"py-{uuid.uuid4().hex[:12]}"}).execute().data
    project = user.client.table("projects").insert({"organization_id": org["id"], "name": "Client"}).execute().data[0]
    user.client.table("projects").update({"name": "Client 2"}).eq("id", project["id"]).execute()
    user.client.rpc("log_event", {"action": "logout", "organization_id": org["id"]}).execute()
    entries = log(rest_db, organization_id=org["id"], entity_type="projects") + log(
        rest_db, organization_id=org["id"], action="logout")
    assert [e["action"] for e in entries] == ["create", "update", "logout"]
    for e in entries:
        assert (e["user_id"], e["ip_address"]) == (user.id, "127.0.0.1")
        assert e["user_agent"]  # whatever supabase-py sends, recorded


# --- what is not written ---------------------------------------------------------------


def test_no_op_updates_write_nothing(via, team):
    su, member = via.su, team.member
    pid = team.project("Same")
    before = len(log(su, entity_id=pid))
    rows = via.update(member, "projects", {"id": pid}, {"name": "Same"})
    assert rows and rows[0]["updated_at"] != rows[0]["created_at"]  # the row was written: updated_at moved
    assert len(log(su, entity_id=pid)) == before
    # Only updated_at changing (as the owner, in every way it can) writes nothing either.
    su.execute("update public.projects set updated_at = now() - interval '1 day' where id = %s", (pid,))
    su.execute("update public.projects set name = name where id = %s", (pid,))
    assert len(log(su, entity_id=pid)) == before
    # Deleting a project already in the trash changes nothing: nothing written.
    via.delete(member, "projects", {"id": pid})
    after_trash = len(log(su, entity_id=pid))
    via.delete(member, "projects", {"id": pid})
    assert len(log(su, entity_id=pid)) == after_trash == before + 1


def test_bulk_statements_write_one_entry_per_row(via, team):
    su, member = via.su, team.member
    org = team.new_org(team.admin, name="Bulk")
    via.rpc(team.service, "add_member", organization_id=org, user_id=member.id, role="member")
    rows = via.insert(member, "projects", [{"organization_id": org, "name": f"p{i:02}"} for i in range(50)])
    ids = sorted(r["id"] for r in rows)
    assert len(ids) == 50
    created = log(su, action="create", entity_type="projects", organization_id=org)
    assert sorted(e["entity_id"] for e in created) == ids
    assert len({e["created_at"] for e in created}) == 1  # one statement, one transaction

    via.update(member, "projects", {"organization_id": org}, {"name": "renamed"})
    updated = log(su, action="update", entity_type="projects", organization_id=org)
    assert sorted(e["entity_id"] for e in updated) == ids
    assert all(e["changed_keys"] == ["name"] and by(e) == (member.id, org, CLIENT_IP, CLIENT_AGENT) for e in updated)
    assert {e["old_values"]["name"] for e in updated} == {f"p{i:02}" for i in range(50)}

    # Half of them already have the name: only the other half is written.
    su.execute("update public.projects set name = 'final' where organization_id = %s and name = 'renamed' "
               "and id in (select id from public.projects where organization_id = %s order by id limit 25)", (org, org))
    before = len(log(su, action="update", entity_type="projects", organization_id=org))
    via.update(member, "projects", {"organization_id": org}, {"name": "final"})
    assert len(log(su, action="update", entity_type="projects", organization_id=org)) == before + 25


# --- app events: log_event ------------------------------------------------------------


def test_log_event_stamps_the_caller(via, team):
    su, viewer = via.su, team.viewer
    login = via.rpc(viewer, "log_event", action="login", organization_id=team.org, details={"method": "password"})
    stored = only(log(su, id=login["id"]))
    assert stored == login
    assert by(stored) == (viewer.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert (stored["entity_type"], stored["entity_id"], stored["new_values"]) == ("session", None, {"method": "password"})

    logout = via.rpc(viewer, "log_event", action="logout")
    assert by(only(log(su, id=logout["id"]))) == (viewer.id, None, CLIENT_IP, CLIENT_AGENT)

    # The database's own actions and entity types are not the app's to write.
    refused("22023", via.rpc, team.admin, "log_event", action="remove", organization_id=team.org,
            entity_type="organization_members", entity_id=team.viewer.id)
    app = via.rpc(team.admin, "log_event", action="login", organization_id=team.org, entity_type="app.sso")
    assert (app["user_id"], app["entity_type"]) == (team.admin.id, "app.sso")


def test_log_event_has_no_actor_parameter(via, team):
    su = via.su
    args = [r[0] for r in su.execute(
        "select unnest(proargnames) from pg_proc where proname = 'log_event' and pronamespace = 'public'::regnamespace")]
    assert "user_id" not in args and not any("actor" in a or "user" in a for a in args)
    before = count(su, "select count(*) from public.audit_logs where user_id = %s", (team.admin.id,))
    err = refused("PGRST202" if via.name == "rest" else "42883",
                  via.rpc, team.member, "log_event", action="login", user_id=team.admin.id)
    if via.name == "rest":
        assert err.status == 404
    assert count(su, "select count(*) from public.audit_logs where user_id = %s", (team.admin.id,)) == before


@pytest.mark.parametrize("action", ["create", "update", "delete", "purge", "hack", "LOGIN", None])
def test_log_event_refuses_other_actions(via, team, action):
    err = refused("22023", via.rpc, team.member, "log_event", action=action, organization_id=team.org)
    assert err.hint == "changes to data are logged by the database itself"
    if via.name == "rest":
        assert err.status == 400


def test_log_event_refuses_an_organization_of_others_and_anon(via, team):
    su = via.su
    before = count(su, "select count(*) from public.audit_logs where organization_id = %s", (team.other_org,))
    err = refused("PT404", via.rpc, team.member, "log_event", action="login", organization_id=team.other_org)
    assert err.status in (None, 404)
    refused("PT404", via.rpc, team.member, "log_event", action="login", organization_id=str(uuid.uuid4()))
    err = refused("42501", via.rpc, team.anon, "log_event", action="login")
    if via.name == "rest":
        assert err.status == 401
    else:
        assert "permission denied for function log_event" in err.message
    assert count(su, "select count(*) from public.audit_logs where organization_id = %s", (team.other_org,)) == before


# --- reading the log: list_audit_logs ---------------------------------------------------


def test_list_audit_logs_is_for_admins_of_the_organization(via, team):
    entries = via.rpc(team.admin, "list_audit_logs", organization_id=team.org)
    assert entries and all(e["organization_id"] == team.org for e in entries)
    for who in (team.member, team.viewer):
        err = refused("42501", via.rpc, who, "list_audit_logs", organization_id=team.org)
        assert err.status in (None, 403)
    err = refused("PT404", via.rpc, team.outsider, "list_audit_logs", organization_id=team.org)
    assert err.status in (None, 404)
    err = refused("42501", via.rpc, team.anon, "list_audit_logs", organization_id=team.org)
    assert err.status in (None, 401)
    # The table itself: the admin reads the organization's rows, a member none.
    if via.name == "rest":
        assert len(via.http(team.admin, "GET", f"/audit_logs?organization_id=eq.{team.org}")) == len(
            log(via.su, organization_id=team.org))
        assert via.http(team.member, "GET", f"/audit_logs?organization_id=eq.{team.org}") == []


def test_list_audit_logs_filters(via, team):
    su, member = via.su, team.member
    for i in range(3):
        team.project(f"f{i}")
    via.rpc(team.viewer, "log_event", action="login", organization_id=team.org)
    projects = via.rpc(team.admin, "list_audit_logs", organization_id=team.org, entity_type="projects")
    assert len(projects) == 3 and {e["entity_type"] for e in projects} == {"projects"}
    mine = via.rpc(team.admin, "list_audit_logs", organization_id=team.org, user_id=member.id)
    assert len(mine) == len(log(su, organization_id=team.org, user_id=member.id)) == 3
    both = via.rpc(team.admin, "list_audit_logs", organization_id=team.org, entity_type="session", user_id=team.viewer.id)
    assert [(e["action"], e["user_id"]) for e in both] == [("login", team.viewer.id)]
    assert via.rpc(team.admin, "list_audit_logs", organization_id=team.org, entity_type="nothing") == []


def _newest_first(su, org: str) -> list[dict]:
    return [row[0] for row in su.execute(
        "select to_jsonb(a) from public.audit_logs a where organization_id = %s order by created_at desc, id desc",
        (org,)).fetchall()]


def test_list_audit_logs_keyset_pages_stay_stable_while_rows_arrive(via, team):
    su, admin, member = via.su, team.admin, team.member
    # Twelve more entries, eight of them from one statement (one created_at: ties
    # broken by id), the rest one per request.
    via.insert(member, "projects", [{"organization_id": team.org, "name": f"k{i}"} for i in range(8)])
    for _ in range(4):
        via.rpc(team.viewer, "log_event", action="login", organization_id=team.org)
    snapshot = _newest_first(su, team.org)
    assert len(snapshot) >= 15
    assert via.rpc(admin, "list_audit_logs", organization_id=team.org, page_size=1000) == snapshot

    pages, cursor, arrived = [], {}, []
    while True:
        page = via.rpc(admin, "list_audit_logs", organization_id=team.org, page_size=4, **cursor)
        if not page:
            break
        pages.append(page)
        cursor = {"before": page[-1]["created_at"], "before_id": page[-1]["id"]}
        # New rows arrive between pages: newer than every cursor, never in a later page.
        arrived.append(via.rpc(team.viewer, "log_event", action="logout", organization_id=team.org)["id"])
        team.project(f"late{len(pages)}")
    walked = [e for page in pages for e in page]
    assert [e["id"] for e in walked] == [e["id"] for e in snapshot]  # no duplicate, no skip, same order
    assert all(len(page) == 4 for page in pages[:-1])
    assert not set(arrived) & {e["id"] for e in walked}
    assert len(_newest_first(su, team.org)) == len(snapshot) + 2 * len(pages)


def test_list_audit_logs_offset_pages(via, team):
    su = via.su
    for _ in range(5):
        via.rpc(team.member, "log_event", action="login", organization_id=team.org)
    everything = _newest_first(su, team.org)
    assert via.rpc(team.admin, "list_audit_logs", organization_id=team.org, page_size=3) == everything[:3]
    assert via.rpc(team.admin, "list_audit_logs", organization_id=team.org, page_size=3, page_offset=3) == everything[3:6]
    assert via.rpc(team.admin, "list_audit_logs", organization_id=team.org, page_size=3,
                   page_offset=len(everything)) == []


@pytest.mark.parametrize("args", [
    {"page_size": 0}, {"page_size": 1001}, {"page_size": -1}, {"page_size": None}, {"page_offset": -1},
    {"before": "2030-01-01T00:00:00+00:00"}, {"before_id": "00000000-0000-0000-0000-000000000000"},
], ids=["size0", "size1001", "size-1", "size-null", "offset-1", "before-alone", "before_id-alone"])
def test_list_audit_logs_refuses_bad_pages(via, team, args):
    err = refused("22023", via.rpc, team.admin, "list_audit_logs", organization_id=team.org, **args)
    assert err.status in (None, 400)


# --- nobody edits the log --------------------------------------------------------------


def test_nobody_tampers_with_the_log(via, team):
    su = via.su
    target = entry(su, "create", "organizations", team.org)
    org_entries = log(su, organization_id=team.org)
    forged = {"organization_id": team.org, "user_id": team.admin.id, "action": "login", "entity_type": "session",
              "entity_id": "forged"}
    for who in (team.anon, team.member, team.admin, team.service):
        name = getattr(who, "email", who.role)
        for attempt in (
            lambda: via.update(who, "audit_logs", {"id": target["id"]}, {"action": "logout", "user_id": None}),
            lambda: via.update(who, "audit_logs", {"organization_id": team.org}, {"ip_address": "0.0.0.0"}),
            lambda: via.delete(who, "audit_logs", {"id": target["id"]}),
            lambda: via.delete(who, "audit_logs", {"organization_id": team.org}),
        ):
            err = refused("42501", attempt)
            assert err.status in (None, 401 if who is team.anon else 403), name
        if who is not team.service:  # the service role (a trusted backend) may append entries
            refused("42501", via.insert, who, "audit_logs", forged)
        if via.name == "sql":
            err = refused("42501", via.sql, who, "truncate public.audit_logs")
            assert "permission denied" in err.message
    assert only(log(su, id=target["id"])) == target
    assert log(su, organization_id=team.org) == org_entries
    assert log(su, entity_id="forged") == []


# --- retention: purge_audit_logs ------------------------------------------------------


def test_purge_audit_logs_is_for_the_service_role_and_removes_only_old_entries(via, team):
    su = via.su
    old = [e["id"] for e in log(su, organization_id=team.org)[:2]]
    su.execute("update public.audit_logs set created_at = now() - interval '400 days' where id = any(%s::uuid[])", (old,))
    su.execute("update public.audit_logs set created_at = now() - interval '300 days' "
               "where organization_id = %s and id <> all(%s::uuid[])", (team.org, old))
    kept = len(log(su, organization_id=team.org)) - 2
    for who in (team.admin, team.member):
        err = refused("42501", via.rpc, who, "purge_audit_logs", older_than="1 day")
        assert err.status in (None, 403)
    refused("42501", via.rpc, team.anon, "purge_audit_logs", older_than="1 day")
    for too_short in ("23 hours", "0 days", "-5 days", None):
        err = refused("22023", via.rpc, team.service, "purge_audit_logs", older_than=too_short)
        assert err.status in (None, 400)
    assert len(log(su, organization_id=team.org)) == kept + 2

    removed = via.rpc(team.service, "purge_audit_logs", older_than="365 days")
    assert removed >= 2 if via.name == "rest" else removed == 2
    left = {e["id"] for e in log(su, organization_id=team.org)}
    assert len(left) == kept and not left & set(old)


# --- how it is built -------------------------------------------------------------------


AUDITED = ("organizations", "organization_members", "subscriptions", "projects", "profiles")


def test_audit_triggers_are_statement_level_with_transition_tables(db):
    rows = db.execute("""
        select c.relname, t.tgname, (t.tgtype & 1) = 1 as per_row, t.tgoldtable, t.tgnewtable,
               p.prosecdef, p.proconfig
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_proc p on p.oid = t.tgfoid
        where t.tgname in ('audit_insert', 'audit_update', 'audit_delete')
          and c.relnamespace = 'public'::regnamespace""").fetchall()
    found = {(r[0], r[1]) for r in rows}
    assert found == {(t, f"audit_{op}") for t in AUDITED for op in ("insert", "update", "delete")}
    for relname, tgname, per_row, old_table, new_table, secdef, config in rows:
        assert not per_row, (relname, tgname)
        assert (old_table is not None) == (tgname != "audit_insert") and (new_table is not None) == (tgname != "audit_delete")
        assert secdef and 'search_path=""' in config, (relname, tgname, config)
    # And the key the statement triggers pair rows by is fixed, per row.
    fixed = {r[0] for r in db.execute(
        "select c.relname from pg_trigger t join pg_class c on c.oid = t.tgrelid "
        "where t.tgname = 'audit_key_is_fixed' and (t.tgtype & 1) = 1")}
    assert fixed == set(AUDITED)


def test_enable_audit_is_one_statement(db):
    db.execute("""
        create table public.widgets (
          code text primary key, organization_id uuid references public.organizations (id), size int);
        select private.enable_audit('public.widgets', 'code', 'organization_id');""")
    org = str(db.execute("insert into public.organizations (name, slug) values ('W', %s) returning id",
                         (f"w-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    db.execute("insert into public.widgets values ('w1', %s, 1), ('w2', null, 2)", (org,))
    db.execute("update public.widgets set size = size + 1")
    db.execute("delete from public.widgets where code = 'w1'")
    got = [(e["action"], e["entity_id"], e["organization_id"], e["changed_keys"])
           for e in log(db, entity_type="widgets")]
    assert sorted(got, key=str) == sorted([
        ("create", "w1", org, None), ("create", "w2", None, None),
        ("update", "w1", org, ["size"]), ("update", "w2", None, ["size"]),
        ("delete", "w1", org, None),
    ], key=str)


# --- holes found while writing these tests (see the report) ------------------------------


def test_the_key_column_of_an_audited_table_cannot_change(db, service_role):
    """The audit trail pairs old and new rows by key: a key change is refused, not lost."""
    org = str(db.execute("insert into public.organizations (name, slug) values ('K', %s) returning id",
                         (f"k-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    pid = str(db.execute("insert into public.projects (organization_id, name) values (%s, 'K') returning id",
                         (org,)).fetchone()[0])
    new_id = str(uuid.uuid4())
    with pytest.raises(psycopg.Error) as caught:
        service_role.sql.execute("update public.projects set id = %s where id = %s", (new_id, pid))
    assert caught.value.sqlstate == "23514" and "cannot change" in str(caught.value)
    assert count(db, "select count(*) from public.projects where id = %s", (pid,)) == 1


def test_log_event_never_records_a_signed_in_caller_as_nobody(db, make_user):
    user = make_user()
    db.execute("update auth.users set email = null where id = %s", (user.id,))
    db.execute("delete from public.profiles where id = %s", (user.id,))
    try:
        logged = Via("sql", db, None).rpc(user, "log_event", action="login")
    except Refused:
        return  # refusing is fine: no entry in nobody's name
    assert logged["user_id"] == user.id


def test_the_service_role_cannot_attach_triggers_to_the_log(db, service_role, make_user):
    user = make_user()
    try:
        with service_role.sql.transaction() as conn:
            conn.execute("create function pg_temp.swallow() returns trigger language plpgsql as $$ begin return null; end $$")
            conn.execute("create trigger swallow before insert on public.audit_logs "
                         "for each row execute function pg_temp.swallow()")
    except psycopg.Error as exc:
        assert exc.sqlstate == "42501"
    Via("sql", db, None).rpc(user, "log_event", action="login")
    assert len(log(db, user_id=user.id, action="login")) == 1


def test_truncating_an_audited_table_is_refused_or_audited(db, service_role):
    org = str(db.execute("insert into public.organizations (name, slug) values ('T', %s) returning id",
                         (f"t-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    db.execute("insert into public.projects (organization_id, name) values (%s, 'a'), (%s, 'b')", (org, org))
    entries = count(db, "select count(*) from public.audit_logs")
    try:
        service_role.sql.execute("truncate public.projects")
    except psycopg.Error as exc:
        assert exc.sqlstate == "42501"
    remaining = count(db, "select count(*) from public.projects")
    assert remaining == 2 or count(db, "select count(*) from public.audit_logs") > entries


# --- the client's address and agent: parsed once, bounded ----------------------------------


@pytest.mark.parametrize(("forwarded", "stored"), [
    ("not-an-ip", None),
    ("203.0.113.7:443", None),
    ("999.1.1.1, 10.0.0.1", None),
    ("'; drop table public.audit_logs; --", None),
    ("2001:db8::7, 10.0.0.1", "2001:db8::7"),
    ("::ffff:192.0.2.9", "::ffff:192.0.2.9"),
    ("x" * 5000, None),
])
def test_an_address_is_stored_as_inet_and_an_unparsable_one_as_null(db, make_user, forwarded, stored):
    """Through log_event and through a table's trigger: the write goes on, the address is
    inet or null, never an error."""
    via = Via("sql", db, None)
    user = make_user()
    via.client_headers = {"x-forwarded-for": forwarded, "user-agent": "probe/1.0"}
    logged = via.rpc(user, "log_event", action="login")
    org = via.rpc(user, "create_organization", name="Inet", slug=f"inet-{uuid.uuid4().hex[:12]}")["id"]
    for e in (only(log(db, id=logged["id"])), entry(db, "create", "organizations", org)):
        assert (e["ip_address"], e["user_agent"]) == (stored, "probe/1.0"), e
    assert one_type(db) == "inet"


def one_type(db) -> str:
    return db.execute("select format_type(atttypid, atttypmod) from pg_attribute "
                      "where attrelid = 'public.audit_logs'::regclass and attname = 'ip_address'").fetchone()[0]


def test_a_long_user_agent_is_cut_to_512_characters(db, make_user):
    via = Via("sql", db, None)
    user = make_user()
    agent = "Mozilla/5.0 " + "é" * 6000
    via.client_headers = {"x-forwarded-for": "198.51.100.20", "user-agent": agent}
    logged = via.rpc(user, "log_event", action="login")
    org = via.rpc(user, "create_organization", name="Agent", slug=f"agent-{uuid.uuid4().hex[:12]}")["id"]
    for e in (only(log(db, id=logged["id"])), entry(db, "create", "organizations", org)):
        assert e["user_agent"] == agent[:512] and e["ip_address"] == "198.51.100.20"
    # And nobody stores a longer one by hand: the column says so.
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("insert into public.audit_logs (action, entity_type, user_agent) values ('login', 'session', %s)",
                   (agent,))


def test_the_request_is_parsed_in_one_place(db):
    """Triggers, log_event and invite_member read the client from private.request_client()."""
    bodies = dict(db.execute(
        "select p.proname, p.prosrc from pg_proc p where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)"
    ).fetchall())
    readers = sorted(name for name, body in bodies.items() if "request.headers" in body)
    assert readers == ["request_client"]
    for name in ("audit_insert", "audit_update", "audit_delete", "log_event", "invite_member"):
        assert "private.request_client()" in bodies[name], name


# --- storage: monthly partitions, no foreign keys, retention by month ----------------------


def partitions(db) -> list[str]:
    return [r[0] for r in db.execute(
        "select c.relnamespace::regnamespace || '.' || c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
        "where i.inhparent = 'public.audit_logs'::regclass order by c.relname")]


def test_audit_logs_is_partitioned_by_month_in_the_private_schema_without_foreign_keys(db):
    assert db.execute("select relkind from pg_class where oid = 'public.audit_logs'::regclass").fetchone()[0] == "p"
    months = db.execute(
        "select to_char(date_trunc('month', now() at time zone 'utc') + make_interval(months => m), "
        "'\"private.audit_logs_y\"YYYY\"m\"MM') from generate_series(0, 3) m").fetchall()
    found = partitions(db)
    assert {m[0] for m in months} <= set(found) and "private.audit_logs_default" in found
    assert all(name.startswith("private.") for name in found)
    assert db.execute("select count(*) from pg_constraint where conrelid = 'public.audit_logs'::regclass "
                      "and contype = 'f'").fetchone()[0] == 0
    # No API role may touch a partition directly (RLS is the parent's).
    db.execute("select private.create_audit_partition('2032-01-01')")
    for partition in partitions(db):
        for role in ("anon", "authenticated", "service_role"):
            assert db.execute("select has_table_privilege(%s, %s, 'select, insert, update, delete, truncate')",
                              (role, partition)).fetchone()[0] is False, (role, partition)
    # Nothing in the exposed schema but the table itself.
    assert db.execute("select count(*) from pg_class where relnamespace = 'public'::regnamespace "
                      "and relname like 'audit_logs%' and relkind in ('r', 'p')").fetchone()[0] == 1


def test_an_entry_of_a_month_without_partition_is_kept_and_moves_into_its_partition(db):
    """No write fails for want of a partition: the default one keeps the entry until its
    month's partition is created, which takes it."""
    when = "2031-05-17 12:00:00+00"
    db.execute("insert into public.audit_logs (action, entity_type, entity_id, created_at) "
               "values ('login', 'session', 'far', %s)", (when,))
    assert db.execute("select count(*) from private.audit_logs_default where entity_id = 'far'").fetchone()[0] == 1
    assert db.execute("select private.create_audit_partition('2031-05-01')").fetchone()[0] is True
    assert db.execute("select private.create_audit_partition('2031-05-01')").fetchone()[0] is False
    assert db.execute("select count(*) from private.audit_logs_default").fetchone()[0] == 0
    assert db.execute("select count(*) from private.audit_logs_y2031m05 where entity_id = 'far'").fetchone()[0] == 1
    assert len(log(db, entity_id="far")) == 1
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        db.execute("select private.create_audit_partition('2031-05-02')")


def test_retention_drops_whole_months_and_keeps_the_rest(db, service_role):
    """purge_audit_logs: the months wholly older than the cutoff go as tables (no DELETE);
    strays of the default partition older than it are deleted; nothing newer is touched."""
    old_month = db.execute("select date_trunc('month', now() at time zone 'utc') - interval '14 months'").fetchone()[0]
    db.execute("select private.create_audit_partition(%s)", (old_month,))
    name = db.execute("select to_char(%s::timestamp, '\"audit_logs_y\"YYYY\"m\"MM')", (old_month,)).fetchone()[0]
    db.execute("insert into public.audit_logs (action, entity_type, entity_id, created_at) "
               "select 'login', 'session', 'old', (%s::timestamp at time zone 'utc') + g * interval '1 hour' "
               "from generate_series(0, 9) g", (old_month,))
    db.execute("insert into public.audit_logs (action, entity_type, entity_id, created_at) "
               "values ('login', 'session', 'stray', '2001-01-01'), ('login', 'session', 'recent', now())")
    assert db.execute(f"select count(*) from private.{name}").fetchone()[0] == 10

    removed = service_role.sql.execute("select public.purge_audit_logs('365 days')").fetchone()[0]
    assert removed == 11
    assert db.execute("select to_regclass(%s)", (f"private.{name}",)).fetchone()[0] is None
    assert [e["entity_id"] for e in log(db, action="login", entity_type="session")
            if e["entity_id"] in ("old", "stray", "recent")] == ["recent"]
    # The months ahead are still there (purge also keeps them ahead).
    assert len([p for p in partitions(db) if p != "private.audit_logs_default"]) >= 4


def test_the_scheduled_upkeep_removes_nothing_without_a_retention_setting(db):
    old_month = db.execute("select date_trunc('month', now() at time zone 'utc') - interval '30 months'").fetchone()[0]
    db.execute("select private.create_audit_partition(%s)", (old_month,))
    db.execute("insert into public.audit_logs (action, entity_type, entity_id, created_at) "
               "values ('login', 'session', 'kept', %s::timestamp at time zone 'utc')", (old_month,))
    assert db.execute("select private.maintain_audit_logs()").fetchone()[0] == 0
    assert len(log(db, entity_id="kept")) == 1
    with db.transaction():
        db.execute("set local supakit.audit_retention = '2 years'")
        assert db.execute("select private.maintain_audit_logs()").fetchone()[0] == 1
    assert log(db, entity_id="kept") == []


def test_the_upkeep_and_retention_functions_are_not_for_api_roles(db):
    for function in ("private.create_audit_partition(timestamp)", "private.create_audit_partitions(integer)",
                     "private.drop_audit_partitions(timestamptz)", "private.maintain_audit_logs()",
                     "private.request_client()"):
        for role in ("anon", "authenticated", "service_role"):
            assert db.execute("select has_function_privilege(%s, %s, 'execute')", (role, function)).fetchone()[0] is False, (
                function, role)


# --- the migration from the table of 0006-0009 ----------------------------------------------


def test_the_migration_keeps_every_existing_entry(supakit_server):
    """Rolled back to 0009's table, filled with 25,000 entries over three years (more than
    one batch of 0013's copy), migrated again: every entry is there, in its month's
    partition, addresses as inet (an unparsable one null), and the API works over it."""
    from supakit.migrate import migrate, rollback
    from supakit.project import Project
    from supakit.testing import databases

    project = Project(Path(__file__).resolve().parent.parent)
    name = databases.create_migrated(supakit_server, databases.unique_name("supakit_audit_mig"), project)
    try:
        url = supakit_server.url(name)
        rollback(url, project, to="0009_audit_and_trash_indexes")
        with supakit_server.connect(name, autocommit=True) as conn:
            assert conn.execute("select format_type(atttypid, atttypmod) from pg_attribute where attrelid = "
                                "'public.audit_logs'::regclass and attname = 'ip_address'").fetchone()[0] == "text"
            org = conn.execute("insert into public.organizations (name, slug) values ('Old', 'old-org') "
                               "returning id").fetchone()[0]
            conn.execute("set session_replication_role = replica")  # the rows only: no trigger of today's SQL
            conn.execute(
                "insert into public.audit_logs (organization_id, action, entity_type, entity_id, new_values, "
                "ip_address, user_agent, created_at) "
                "select %s, 'create', 'projects', g::text, jsonb_build_object('n', g), "
                "case when g %% 2 = 0 then '198.51.100.' || (g %% 250) else 'unknown' end, 'old/1.0', "
                "timestamptz '2023-01-01 00:00+00' + g * interval '1 hour' from generate_series(1, 25000) g", (org,))
            before = conn.execute("select count(*), min(created_at), max(created_at) from public.audit_logs").fetchone()
        migrate(url, project)
        with supakit_server.connect(name, autocommit=True) as conn:
            after = conn.execute("select count(*), min(created_at), max(created_at) from public.audit_logs").fetchone()
            assert after == before
            assert conn.execute("select to_regclass('private.audit_logs_0009')").fetchone()[0] is None
            assert conn.execute("select count(*) from private.audit_logs_default").fetchone()[0] == 0
            assert conn.execute("select count(*) from private.audit_logs_y2023m01").fetchone()[0] == 31 * 24 - 1
            ips = dict(conn.execute("select entity_id, host(ip_address) from public.audit_logs "
                                    "where entity_id in ('2', '3')").fetchall())
            assert ips == {"2": "198.51.100.2", "3": None}
            assert conn.execute("select count(*) from public.audit_logs where organization_id = %s",
                                (org,)).fetchone()[0] == 25000
            # Functions and policies over the new table are back (re-applied repeatables).
            assert conn.execute("select count(*) from pg_policy where polrelid = 'public.audit_logs'::regclass"
                                ).fetchone()[0] == 1
            assert conn.execute("select to_regprocedure('public.log_event(text, uuid, text, text, jsonb)') is not null"
                                ).fetchone()[0]
            assert conn.execute("select to_regprocedure('public.list_audit_logs(uuid, text, uuid, timestamptz, uuid, "
                                "integer, integer)') is not null").fetchone()[0]
    finally:
        databases.drop(supakit_server, name)


def test_where_pg_cron_exists_the_upkeep_is_scheduled(supakit_server):
    """As on Supabase: a database with pg_cron gets the daily upkeep job when migrated (on
    its own throwaway cluster, pg_cron being a preloaded library)."""
    from supakit.stack import cron
    from supakit.stack.bootstrap import apply_bootstrap
    from supakit.migrate import migrate
    from supakit.project import Project
    from supakit.providers.local import TEST_SETTINGS, find_bindir, start_local

    if not (find_bindir().parent / "lib" / "pg_cron.so").exists():
        pytest.skip("pg_cron is not installed (Debian: postgresql-15-cron)")
    project = Project(Path(__file__).resolve().parent.parent)
    server = start_local({**TEST_SETTINGS, "shared_preload_libraries": "pg_cron", "cron.database_name": "cron_db"})
    try:
        with server.connect(autocommit=True) as admin:
            admin.execute("create database cron_db")
        with server.connect("cron_db", autocommit=True) as conn:
            apply_bootstrap(conn, migrate_password=server.migrate_password)
            assert cron.enable(conn)  # as supabase_admin; the migrations run as postgres (no superuser)
            migrate(server.migrate_url("cron_db"), project)
            jobs = conn.execute(
                "select schedule, command, username from cron.job where jobname = 'supakit-audit-logs'").fetchall()
            assert jobs == [("7 0 * * *", "select private.maintain_audit_logs()", "postgres")]
            assert conn.execute(jobs[0][1]).fetchone()[0] == 0  # what the job runs works (no retention set)
    finally:
        server.stop()
