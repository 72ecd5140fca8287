"""The local stack: Postgres made Supabase-like, PostgREST and the auth server behind the gateway, PgBouncer, pg_cron.

`local.Stack` is `supakit up` / `down` / `status`; `rest.start_api` is the one way
PostgREST, the auth server (`auth/`) and the nginx gateway are started, by the stack,
by the pytest `rest` fixture (`rest.start_rest`) and by the benches alike.
The parts: `postgrest.py`, `gateway.py`, `pooler.py` (PgBouncer), `cron.py` (pg_cron),
`bootstrap.py` (what a bare Postgres needs to look like Supabase), `processes.py`
(spawning and stopping the binaries).

The package imports its parts on first use (PEP 562), so that `providers.local`
can use `stack.processes`, and `testing` can use `stack.bootstrap`, without
importing the whole stack (which itself runs on `providers.local`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .local import Stack, StackState, user_token
    from .rest import RestEndpoint, start_api, start_rest

_EXPORTS = {"Stack": "local", "StackState": "local", "user_token": "local",
            "RestEndpoint": "rest", "start_api": "rest", "start_rest": "rest"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
