"""Acting as an API caller through SQL or through REST (`Via`), and reading the audit log
back as the superuser: what tests/audit/ shares (its fixtures are in tests/audit/conftest.py).
"""

from __future__ import annotations

import uuid
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
