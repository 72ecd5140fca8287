"""The contract every transport keeps, and what a pool transport needs from a pool.

Services hold a transport and call only `run`; clients read `user_id` and call
`close`. The sync and async contracts differ only in what they return: a value, or
something to await. A pool is anything whose `request(claims, ...)` yields a
connection inside one transaction acting as the caller (`supakit.Pool` does).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Protocol

import psycopg

from ..ops import Op

Build = Callable[[], Any]
"""A service's plan, not yet started: returns an `Op` or a generator of them."""


class Transport(Protocol):
    """Sends each `Op` and returns its JSON; `run` drives a whole plan to its result."""

    user_id: str | None  # the signed-in user's `sub`, None without one

    def send(self, op: Op) -> Any: ...

    def run(self, build: Build) -> Any: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """`Transport` on asyncio: `send` and `close` are awaited, `run` returns a coroutine."""

    user_id: str | None  # the signed-in user's `sub`, None without one

    async def send(self, op: Op) -> Any: ...

    def run(self, build: Build) -> Awaitable[Any]: ...

    async def close(self) -> None: ...


class RequestPool(Protocol):
    """What `PoolTransport` uses: a connection per request, acting as `claims` (`supakit.Pool`)."""

    def request(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None,
                method: str = "POST", path: str = "/") -> AbstractContextManager[psycopg.Connection]: ...


class AsyncRequestPool(Protocol):
    """What `AsyncPoolTransport` uses (`supakit.AsyncPool`)."""

    def request(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None,
                method: str = "POST", path: str = "/") -> AbstractAsyncContextManager[psycopg.AsyncConnection]: ...


def caller_id(claims: Mapping[str, Any]) -> str | None:
    """A signed-in user's `sub`; None for anon and the service role."""
    sub = claims.get("sub")
    return str(sub) if sub and claims.get("role") == "authenticated" else None
