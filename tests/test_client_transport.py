"""What is particular to each transport: construction, auth, the pool's settings, and
that the pool answers exactly as PostgREST does. The services themselves are tested
over every transport by tests/test_client.py."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

import pytest

from supakit import AsyncClient, Client, Pool, tokens
from supakit.client import errors, ops
from supakit.client.sql import compile_op, text
from supakit.client.transport import PoolTransport, RestTransport
from supakit.errors import ConfigError


def new_org(client: Client):
    return client.organizations.create("Acme", f"tr-{uuid.uuid4().hex[:12]}")


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("code, cls", [
    ("PT404", errors.NotFound), ("PGRST116", errors.NotFound), ("PGRST202", errors.NotFound),
    ("42P01", errors.NotFound), ("42883", errors.NotFound),
    ("42501", errors.PermissionDenied), ("PT403", errors.PermissionDenied), ("401", errors.PermissionDenied),
    ("403", errors.PermissionDenied),
    ("23505", errors.Conflict), ("23503", errors.Conflict), ("409", errors.Conflict), ("PT409", errors.Conflict),
    ("22P02", errors.ValidationError), ("22023", errors.ValidationError), ("23514", errors.ValidationError),
    ("23502", errors.ValidationError), ("P0001", errors.ValidationError), ("400", errors.ValidationError),
    ("PGRST100", errors.ValidationError), ("PGRST204", errors.ValidationError),
    ("PGRST301", errors.AuthError), ("PGRST300", errors.AuthError),
    ("XX000", errors.ClientError), ("500", errors.ClientError),
])
def test_codes_map_to_one_exception_each(code, cls):
    error = errors.make_error(code, "message", "details", "hint")
    assert type(error) is cls
    assert (error.code, error.message, error.details, error.hint) == (code, "message", "details", "hint")
    assert "hint" in str(error) and code in str(error)


def test_a_gateway_refusal_without_a_code_is_an_auth_error():
    assert type(errors.make_error(None, "Invalid API key")) is errors.AuthError
    assert type(errors.make_error(None, "something else")) is errors.ClientError


def test_a_bad_or_expired_token_is_an_auth_error(rest, make_user):
    user = make_user()
    expired = tokens.sign(tokens.user_claims(user.id, user.email, lifetime=-60), rest.jwt_secret)
    for token in (expired, "not.a.jwt"):
        with Client(rest.url, rest.anon_key, access_token=token) as client, pytest.raises(errors.AuthError) as info:
            client.projects.list()
        assert info.value.code == "PGRST301"
    with Client(rest.url, "not-the-key") as client, pytest.raises(errors.AuthError):
        client.projects.list()


def test_connection_problems_are_not_mapped(supakit_server, rest_database):
    url = supakit_server.url(rest_database, user="authenticator", password="wrong")
    with Pool(url, open=False, timeout=2) as broken:
        broken.open(wait=False)
        with pytest.raises(Exception) as info:
            broken.as_service_role().projects.list()
        assert not isinstance(info.value, errors.ClientError)


# --- construction ----------------------------------------------------------------------------


def test_from_env(monkeypatch, rest, make_user):
    user = make_user()
    monkeypatch.setenv("SUPABASE_URL", rest.url)
    monkeypatch.setenv("SUPABASE_ANON_KEY", rest.anon_key)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", rest.service_key)
    with Client.from_env(access_token=user.token) as client:
        assert client.user_id == user.id
        assert str(client.profiles.get().id) == user.id
    with Client.from_env(service_role=True) as admin:
        assert admin.user_id is None
        assert str(admin.profiles.get(user.id).id) == user.id
    with Client.from_env() as anonymous:
        assert anonymous.projects.list() == []
    monkeypatch.delenv("SUPABASE_ANON_KEY")
    with pytest.raises(ConfigError, match="SUPABASE_ANON_KEY"):
        Client.from_env()


def test_with_token_acts_for_another_user(rest, make_user):
    alice, bob = make_user(), make_user()
    with Client(rest.url, rest.anon_key) as app:
        as_alice, as_bob = app.with_token(alice.token), app.with_token(bob.token)
        org = new_org(as_alice)
        assert as_alice.organizations.has_access(org.id) and not as_bob.organizations.has_access(org.id)
        assert as_alice.supabase is not as_bob.supabase
        as_alice.close(), as_bob.close()


def test_async_client_from_acreate_client(rest, make_user):
    user = make_user()

    async def main():
        client = await AsyncClient.create(rest.url, rest.anon_key, access_token=user.token)
        try:
            org = await client.organizations.create("Async", f"as-{uuid.uuid4().hex[:12]}")
            results = await asyncio.gather(
                client.organizations.has_access(org.id),
                client.projects.create(org.id, "A"),
                client.projects.create(org.id, "B"),
            )
            assert results[0] is True
            pending = client.profiles.update_own()  # a plan runs when awaited, errors included
            with pytest.raises(errors.ValidationError):
                await pending
            return sorted(p.name for p in await client.projects.list(org.id))
        finally:
            await client.close()

    assert asyncio.run(main()) == ["A", "B"]


# --- the pool ------------------------------------------------------------------------------


def test_pool_defaults_are_the_seeds():
    pool = Pool("postgresql://nobody@127.0.0.1:1/none", open=False)
    assert (pool.pool.max_size, pool.pool.max_idle) == (10, 20.0)
    assert pool.pool.kwargs["connect_timeout"] == 10
    pool.close()


def test_pool_acts_as_postgrest_does(pool, rest, rest_db, make_user):
    user = make_user()
    worker = pool.as_user(user.id, user.email, headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.1",
                                                         "User-Agent": "worker/1.0"})
    org = new_org(worker)
    with pool.request(worker.transport.claims, {"user-agent": "probe"}, "GET", "/projects") as conn:
        seen = conn.execute(
            "select auth.uid()::text, auth.role(), current_user, current_setting('request.method'),"
            " current_setting('request.path'), current_setting('request.headers')::json ->> 'user-agent'"
        ).fetchone()
    assert seen == (user.id, "authenticated", "authenticated", "GET", "/projects", "probe")
    entry = rest_db.execute(
        "select user_id::text, host(ip_address), user_agent from audit_logs where entity_type = 'organizations'"
        " and entity_id = %s", (str(org.id),)).fetchone()
    assert entry == (user.id, "203.0.113.7", "worker/1.0")


def test_pool_service_role_bypasses_rls(pool, rest, make_user):
    user = make_user()
    org = new_org(pool.as_user(user.id))
    admin = pool.as_service_role()
    assert admin.user_id is None
    assert admin.organizations.get(org.id).id == org.id
    assert pool.as_anon().projects.list(org.id) == []


def test_pool_refused_statement_leaves_the_connection_clean(pool, rest, make_user):
    user = make_user()
    client = pool.as_user(user.id)
    taken = new_org(client).slug
    for _ in range(5):  # more than the pool has connections: each went back clean
        with pytest.raises(errors.Conflict):
            client.organizations.create("Dup", taken)
    with pool.request({"role": "anon"}) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "anon"


def test_pool_answers_with_the_same_json_as_postgrest(pool, rest, make_user):
    user = make_user()
    with Client(rest.url, rest.anon_key, access_token=user.token) as over_rest:
        org = new_org(over_rest)
        over_rest.projects.create(org.id, "One")
        over_rest.audit.log("login", organization_id=org.id, details={"nested": {"list": [1, 2]}})
        over_pool = pool.as_user(user.id)
        rest_send, pool_send = over_rest.transport.send, over_pool.transport.send
        assert isinstance(over_rest.transport, RestTransport) and isinstance(over_pool.transport, PoolTransport)
        for op in (
            ops.select("projects", ops.eq("organization_id", org.id), order=(("created_at", True),)),
            ops.select("organizations", ops.eq("id", org.id), ops.is_("logo_url", None)),
            ops.select("organization_members", ops.in_("organization_id", [org.id, uuid.uuid4()])),
            ops.rpc("my_organizations", shape="many"),
            ops.rpc("has_org_role", {"organization_id": org.id, "roles": ["admin", "member"]}, shape="scalar"),
            ops.rpc("list_audit_logs", {"organization_id": org.id, "page_size": 10}, shape="many"),
            ops.rpc("empty_trash", {"organization_id": org.id, "older_than": timedelta(days=1)}, shape="scalar"),
        ):
            assert pool_send(op) == rest_send(op), op


# --- operations as data ----------------------------------------------------------------------


class Color(StrEnum):
    red = "red"


def test_values_are_normalised_once_for_both_transports():
    moment = datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    key = uuid.UUID(int=1)
    assert ops.jsonable({"a": [key, moment, Color.red, Decimal("1.5"), timedelta(hours=1), None, True]}) == {
        "a": [str(key), "2025-01-02T03:04:05.000006+00:00", "red", "1.5", "3600.000000 seconds", None, True]
    }
    assert text(["a", 'b"c', "d,e", None, ["x"]]) == '{"a","b\\"c","d,e",NULL,{"x"}}'
    assert text({"k": 1}) == '{"k": 1}' and text(True) == "true" and text(None) is None


def test_each_request_shape_compiles_once():
    first, params = compile_op(ops.select("projects", ops.eq("id", uuid.UUID(int=1)), limit=5))
    second, other = compile_op(ops.select("projects", ops.eq("id", uuid.UUID(int=2)), limit=9))
    assert first is second and params != other
    query, _ = compile_op(ops.update("projects", {"name": "x"}, ops.eq("id", "1")))
    assert query.startswith("with s as (update \"public\".\"projects\" as t set \"name\" = b.\"name\"")


def test_a_plan_can_catch_an_error_of_its_own_request():
    def plan():
        try:
            yield ops.select("projects", shape="one", what="the project")
        except errors.NotFound:
            return "caught"

    assert ops.drive(plan, lambda op: []) == "caught"
    assert asyncio.run(ops.adrive(plan, _async_empty)) == "caught"


async def _async_empty(op):
    return []
