"""The tenancy RPCs (sql/functions/050-070) and the last-admin guard (040): for every
RPC its success, each refusal and each bad input, as the API caller would meet them.
One file per RPC family; this conftest holds their `team` fixture, tests/helpers/rpcs.py
the calls.

Most tests act through `make_user(...).sql` (PostgREST's role and claims, one
transaction per call) on their own database clone and assert the SQLSTATE; the
REST tests (test_rest.py) repeat a representative subset through the real PostgREST and
gateway, where those SQLSTATEs become HTTP statuses (23505 -> 409, 23514/22xxx/P0001
-> 400, PT404 -> 404, 42501 -> 403 signed in and 401 anonymous). REST tests share one
database for the session, so they create their own organizations with unique slugs.

The cross-tenant matrix and the attack probes live in tests/isolation/.
"""

from __future__ import annotations

import pytest

from helpers.rpcs import new_org, add, Team


@pytest.fixture
def team(make_user, service_role) -> Team:
    admin, member, viewer, outsider = make_user(), make_user(), make_user(), make_user()
    org = new_org(admin)
    add(service_role, org, member, "member")
    add(service_role, org, viewer, "viewer")
    return Team(org, admin, member, viewer, outsider, service_role)
