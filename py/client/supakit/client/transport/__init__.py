"""Transports: how an `Op` reaches the database, all behind one contract.

- `RestTransport` / `AsyncRestTransport` (`rest.py`): through supabase-py's PostgREST
  client (the REST API and RPC, exactly as an app calling Supabase does).
- `PoolTransport` / `AsyncPoolTransport` (`pool.py`): as SQL over a `supakit.Pool` /
  `supakit.AsyncPool`, acting as the caller per transaction the way PostgREST does.

Each satisfies `Transport` (sync) or `AsyncTransport` (`base.py`): `send(op) -> JSON`
with errors mapped to `supakit.client.errors`, `run(plan)`, which drives a service's
plan with it, `close()`, and `user_id`, the caller's `sub` claim for "my" rows.
"""

from .base import AsyncTransport, Transport
from .pool import AsyncPoolTransport, PoolTransport
from .rest import AsyncRestTransport, RestTransport, build_request

__all__ = ["AsyncPoolTransport", "AsyncRestTransport", "AsyncTransport", "PoolTransport", "RestTransport",
           "Transport", "build_request"]
