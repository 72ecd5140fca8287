"""The cross-tenant isolation matrix: every exposed table and RPC x every caller x every operation.

Each probe runs against a fresh pair of organizations (A, with an admin, a member
and a viewer; B, with its own admin) and asks one question: did the operation on
organization A's data take effect? Effects are read back as the superuser, so a
probe cannot pass by an error message or an empty response alone. The same
expectations are checked through SQL (as PostgREST sets up a request) and through
the real REST API. A table, view or function in `public` that has no row here
fails the suite.

One file per kind of probe: the matrix, the attacks, the holes of issue 12; this conftest
holds the `callers` fixture, tests/helpers/isolation.py the world they act on.
"""

from __future__ import annotations

import uuid

import pytest


# -- the callers --------------------------------------------------------------------


@pytest.fixture
def callers(make_user, anon, service_role):
    users = {name: make_user(email=f"{name}-{uuid.uuid4().hex[:8]}@example.test")
             for name in ("outsider", "viewer", "member", "admin_a", "admin_b")}
    return users, {"anon": anon, "service": service_role, **users}
