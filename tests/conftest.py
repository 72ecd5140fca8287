"""Fixtures shared by the test modules; the database, REST and user fixtures come from
supakit's own pytest plugin (`supakit.testing.plugin`, an entry point), helpers from
tests/helpers/. Fixtures only one family of files uses live beside it (tests/rpcs/conftest.py).
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pool(supakit_server, rest_database, supakit_session):
    """The direct transport: a pool connected as PostgREST's authenticator to the REST database."""
    from supakit import Pool  # here, not at the top: tests/test_installed.py runs against an installed supakit

    url = supakit_server.url(rest_database, user="authenticator", password=supakit_session.authenticator_password)
    with Pool(url, min_size=1, max_size=4) as opened:
        yield opened
