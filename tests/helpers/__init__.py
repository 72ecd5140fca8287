"""Helpers the test modules share (fixtures live in tests/conftest.py and the supakit plugin).

    from helpers import ROOT, one

`helpers.rpcs` calls the tenancy RPCs as an API caller, `helpers.auth` signs in through
GoTrue's API, `helpers.cli` builds a typer app around one supakit command and
`helpers.stack` runs a project's own stack for a module's tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]  # the repository


def one(conn: psycopg.Connection | str, query: str, params: Any = None) -> Any:
    """The first column of the first row (None without a row); `conn` may be a URL, used once."""
    if isinstance(conn, str):
        with psycopg.connect(conn, autocommit=True) as opened:
            return one(opened, query, params)
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]
