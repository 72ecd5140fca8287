"""One error hierarchy: every supakit error is a `SupakitError`, and "not signed in" is told
apart from "signed in, but refused" on every transport, against the real stack."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import uuid

import psycopg
import pytest

import supakit
from supakit import (
    AsyncClient, AuthError, Client, ClientError, ConfigError, ConnectionLost, NotSignedIn, PermissionDenied, Pool,
    PoolError, PoolExhausted, SupakitError,
)
from supakit.client import errors

# Not library code: the entry point runs the CLI, the scaffold's files are a new project's tests.
NOT_IMPORTED = ("supakit.__main__", "supakit.scaffold.files")


def supakit_exceptions() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(supakit.__path__, prefix="supakit."):
        if info.name.startswith(NOT_IMPORTED):
            continue
        module = importlib.import_module(info.name)
        found += [obj for _, obj in inspect.getmembers(module, inspect.isclass)
                  if issubclass(obj, BaseException) and obj.__module__ == info.name]
    return found


def test_every_supakit_error_is_a_supakit_error():
    found = supakit_exceptions()
    assert {"ClientError", "PoolExhausted", "MigrationError", "ConfigError", "DatabaseUnreachable"} <= {
        cls.__name__ for cls in found}
    assert [cls.__qualname__ for cls in found if not issubclass(cls, SupakitError)] == []


def test_the_families_under_supakit_error():
    assert issubclass(ClientError, SupakitError) and issubclass(PoolError, SupakitError)
    assert issubclass(PoolExhausted, PoolError) and issubclass(ConnectionLost, PoolError)
    assert not issubclass(PoolError, ClientError)  # the database never answered a pool error
    assert issubclass(ConfigError, SupakitError)
    # Not signed in is its own class, still caught by the handlers written before it existed.
    assert NotSignedIn is not PermissionDenied
    assert issubclass(NotSignedIn, PermissionDenied) and issubclass(NotSignedIn, AuthError)
    assert not issubclass(PermissionDenied, NotSignedIn)
    assert (NotSignedIn.status, PermissionDenied.status) == (401, 403)


@pytest.mark.parametrize("code, message, cls", [
    ("42501", "sign in to create an organization", NotSignedIn),
    ("42501", "Sign in to accept an invitation", NotSignedIn),
    ("PT401", "who are you?", NotSignedIn),
    ("42501", "permission denied for table profiles", PermissionDenied),
    ("PT403", "only admins may do that", PermissionDenied),
])
def test_sign_in_refusals_map_to_not_signed_in(code, message, cls):
    assert type(errors.make_error(code, message)) is cls


@pytest.mark.parametrize("code, message, cls", [
    ("42501", "permission denied for function create_organization", NotSignedIn),
    ("23505", "duplicate key", errors.Conflict),
])
def test_an_anonymous_callers_refusal_is_not_signed_in(code, message, cls):
    assert type(errors.make_error(code, message, anonymous=True)) is cls


@pytest.fixture(scope="module")
def pool(supakit_server, rest_database, supakit_session):
    url = supakit_server.url(rest_database, user="authenticator", password=supakit_session.authenticator_password)
    with Pool(url, max_size=2) as opened:
        yield opened


def _slug() -> str:
    return f"err-{uuid.uuid4().hex[:12]}"


def test_the_anon_key_alone_is_not_signed_in_over_rest(rest):
    with Client(rest.url, rest.anon_key) as anon, pytest.raises(NotSignedIn) as info:
        anon.organizations.create("Acme", _slug())
    assert info.value.code == "42501"  # anon may not execute it: PostgREST's 401, not a 403
    assert type(info.value.__cause__).__name__ == "APIError"  # postgrest-py's error, kept as the cause


def test_the_anon_key_alone_is_not_signed_in_over_async_rest(rest):
    async def create() -> None:
        anon = AsyncClient(rest.url, rest.anon_key)
        try:
            await anon.organizations.create("Acme", _slug())
        finally:
            await anon.close()

    with pytest.raises(NotSignedIn):
        asyncio.run(create())


def test_anon_over_the_pool_is_not_signed_in(pool):
    with pytest.raises(NotSignedIn) as info:
        pool.as_anon().organizations.create("Acme", _slug())
    assert info.value.code == "42501"
    assert isinstance(info.value.__cause__, psycopg.Error)  # the database's error, with its diagnostics


def test_the_service_role_has_no_user_to_act_for(rest, pool):
    with Client(rest.url, rest.service_key) as service, pytest.raises(NotSignedIn):
        service.profiles.update_own(name="x")
    with pytest.raises(NotSignedIn):
        pool.as_service_role().profiles.update_own(name="x")


def test_a_signed_in_refusal_is_permission_denied_not_not_signed_in(rest, pool, make_user):
    user = make_user()
    with Client(rest.url, rest.anon_key, access_token=user.token) as client, pytest.raises(PermissionDenied) as info:
        client.profiles.delete(user.id)
    assert info.value.code == "42501" and not isinstance(info.value, NotSignedIn)
    with pytest.raises(PermissionDenied) as info:
        pool.as_user(user.id, user.email).profiles.delete(user.id)
    assert not isinstance(info.value, NotSignedIn)
