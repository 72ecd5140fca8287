"""The audit trail (sql/functions/080_audit.sql, 110_audit_rpcs.sql): what each write
leaves in public.audit_logs, and who may read, write or remove entries.

Every behaviour test runs twice, through SQL (`user.sql`: PostgREST's role, claims
and request headers per transaction) and through the real PostgREST behind the
gateway (httpx with the caller's headers), and reads the log back as the superuser.
Both transports send the same client headers: `x-forwarded-for: 203.0.113.7,
10.0.0.1` and `user-agent: probe/1.0`, so every entry must name 203.0.113.7 (the
first hop). Over REST they go through a gateway that trusts loopback and 10.0.0.0/8
as proxies (a load balancer in front of it), which resolves the same client; the
session's own gateway trusts no proxy and records its peer (tests/isolation/). REST tests share one
database for the session: each creates its own organizations (unique slugs) and
only ever looks at its own rows.

Who may call what is the matrix's job (tests/isolation/); these tests are
about what gets recorded and how the RPCs behave.

One file per concern; this conftest holds their fixtures (`via`, `team`, `proxied_rest`),
tests/helpers/audit.py the transports and the log readers. The soft-delete tests
(test_soft_delete.py) use the same.
"""

from __future__ import annotations

import pytest

from helpers.audit import Via, Team


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


@pytest.fixture
def team(via, request) -> Team:
    return Team(via, request)
