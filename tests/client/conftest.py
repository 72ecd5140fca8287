"""The client's services, the same test bodies over every transport.

`api` is parametrized: `rest` (supakit.Client over supabase-py, through the gateway
and PostgREST with real tokens), `async` (supakit.AsyncClient, each call awaited on
an event loop), and `pool` (supakit.Client over a psycopg pool connected as
`authenticator` to the database PostgREST serves, acting as the user per
transaction). A test says who acts and what they expect, never how the call travels.

The REST database is shared by the session, so every test builds its own team (a
fresh organization with an admin, a member and a viewer, and an outsider) through
the client under test, and only looks at its own rows.

One file per service; this conftest holds the `api` and `team` fixtures, tests/helpers/client.py
the clients behind them.
"""

from __future__ import annotations

import pytest

from helpers.client import TRANSPORTS, Api, Team


@pytest.fixture(params=TRANSPORTS)
def api(request, rest, pool, make_user):
    opened = Api(request.param, rest, pool, make_user)
    yield opened
    opened.close()


@pytest.fixture
def team(api) -> Team:
    return Team(api)
