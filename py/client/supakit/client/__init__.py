"""The supakit client: typed services over supabase-py, and the same over a psycopg pool.

    from supakit import Client
    client = Client(url, anon_key, access_token=token)
    org = client.organizations.create("Acme", "acme")

The package: `clients` (Client, AsyncClient), `services` (each operation as a plan),
`ops` (plans and how they are driven), `transport` (REST and pool transports behind
one Protocol), `pool` (Pool, AsyncPool), `sql` (an `Op` as SQL), `errors`, `models`
(generated) and `codegen`. See docs/client.md and docs/architecture.md.

Names are imported on first use, so `supakit.client.codegen` (which writes
`models.py`) works even while the models are missing or stale.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Client": "clients", "AsyncClient": "clients",
    "Pool": "pool", "AsyncPool": "pool",
    "ClientError": "errors", "NotFound": "errors", "PermissionDenied": "errors", "NotSignedIn": "errors",
    "Conflict": "errors", "ValidationError": "errors", "AuthError": "errors",
    "PoolError": "errors", "PoolExhausted": "errors", "ConnectionLost": "errors",
    "Transport": "transport", "AsyncTransport": "transport",
    "UNSET": "services",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .clients import AsyncClient, Client
    from .errors import (
        AuthError, ClientError, Conflict, ConnectionLost, NotFound, NotSignedIn, PermissionDenied, PoolError,
        PoolExhausted, ValidationError,
    )
    from .pool import AsyncPool, Pool
    from .services import UNSET
    from .transport import AsyncTransport, Transport


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
