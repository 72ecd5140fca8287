"""Through supabase-py's PostgREST client: the REST API and RPC, as an app calling Supabase does."""

from __future__ import annotations

from typing import Any

from ..errors import from_postgrest
from ..ops import Op, adrive, drive
from .base import Build

# postgrest-py's filter methods, by our operator names.
FILTER_METHODS = {"eq": "eq", "neq": "neq", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "is": "is_", "in": "in_"}


def build_request(postgrest: Any, op: Op) -> Any:
    """The postgrest-py request builder for `op` (sync and async builders share this API)."""
    if op.action == "rpc":
        return postgrest.rpc(op.target, op.payload or {})
    table = postgrest.from_(op.target)
    if op.action == "select":
        query = table.select("*")
    elif op.action == "insert":
        query = table.insert(op.payload)
    elif op.action == "upsert":
        query = table.upsert(op.payload, on_conflict=op.on_conflict or "")
    elif op.action == "update":
        query = table.update(op.payload)
    else:
        query = table.delete()
    for f in op.filters:
        query = getattr(query, FILTER_METHODS[f.operator])(f.column, f.value)
    for column, descending in op.order:
        query = query.order(column, desc=descending)
    if op.limit is not None:
        query = query.limit(op.limit)
    if op.offset is not None:
        query = query.offset(op.offset)
    return query


class RestTransport:
    """Requests through a `supabase.Client` (its PostgREST client and HTTP session)."""

    def __init__(self, supabase: Any, user_id: str | None = None, anonymous: bool = False):
        self.supabase = supabase
        self.user_id = user_id
        self.anonymous = anonymous  # the anon key alone: a refusal means "sign in"

    def send(self, op: Op) -> Any:
        from postgrest import APIError

        try:
            return build_request(self.supabase.postgrest, op).execute().data
        except APIError as exc:
            raise from_postgrest(exc, anonymous=self.anonymous) from exc

    def run(self, build: Build) -> Any:
        return drive(build, self.send)

    def close(self) -> None:
        self.supabase.postgrest.aclose()  # postgrest-py's sync client names its close `aclose`


class AsyncRestTransport:
    """Requests through a `supabase.AsyncClient`; `run` returns a coroutine."""

    def __init__(self, supabase: Any, user_id: str | None = None, anonymous: bool = False):
        self.supabase = supabase
        self.user_id = user_id
        self.anonymous = anonymous  # the anon key alone: a refusal means "sign in"

    async def send(self, op: Op) -> Any:
        from postgrest import APIError

        try:
            return (await build_request(self.supabase.postgrest, op).execute()).data
        except APIError as exc:
            raise from_postgrest(exc, anonymous=self.anonymous) from exc

    def run(self, build: Build) -> Any:
        return adrive(build, self.send)

    async def close(self) -> None:
        await self.supabase.postgrest.aclose()
