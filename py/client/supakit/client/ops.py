"""Operations as data: what one API request asks for, whoever sends it.

A service method does not talk HTTP or SQL. It describes each request as an `Op`
(a table or view with filters, a payload and an order, or an RPC with its
arguments) and returns it, or yields several from a generator (a *plan*) when one
request depends on the result of another. A transport sends an `Op`: as a
PostgREST request through supabase-py (sync or async) or as the equivalent SQL
over a psycopg pool. `drive` and `adrive` run a plan against a sync or async
`send`, so each operation is written once and served by every transport.

Values are normalised to JSON-able forms when an `Op` is built (UUIDs and
timestamps as strings, intervals as "N seconds"), so both transports receive
exactly the same request.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, TypeAdapter

from .errors import ClientError, NotFound, PermissionDenied

Action = Literal["select", "insert", "update", "upsert", "delete", "rpc"]
Shape = Literal["many", "one", "maybe", "scalar", "none"]
OPERATORS = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "is", "in"})
METHODS = {"select": "GET", "insert": "POST", "upsert": "POST", "update": "PATCH", "delete": "DELETE", "rpc": "POST"}

T = TypeVar("T")
Plan = Generator["Op", Any, T]


def jsonable(value: Any) -> Any:
    """A value as JSON carries it to PostgREST (and as its text to Postgres)."""
    if value is None or isinstance(value, (bool, int, float)) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds():.6f} seconds"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    raise TypeError(f"cannot send a {type(value).__name__} to the API: {value!r}")


@dataclass(frozen=True, slots=True)
class Filter:
    """`column operator value`, PostgREST's `?column=operator.value`."""

    column: str
    operator: str
    value: Any

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise ValueError(f"unknown filter operator {self.operator!r}")
        if self.operator == "is" and self.value not in (None, True, False):
            raise ValueError("`is` compares with None, True or False only")


def eq(column: str, value: Any) -> Filter:
    return Filter(column, "eq", jsonable(value))


def is_(column: str, value: bool | None) -> Filter:
    return Filter(column, "is", value)


def in_(column: str, values: Any) -> Filter:
    return Filter(column, "in", jsonable(list(values)))


@dataclass(frozen=True, slots=True)
class Op:
    """One request: a table/view action or an RPC, and how to read its answer.

    shape: `many` (a list of rows), `one` (exactly one row, else NotFound),
    `maybe` (a row or None), `scalar` (the JSON value an RPC returns), `none`
    (an RPC returning void).
    """

    action: Action
    target: str
    filters: tuple[Filter, ...] = ()
    payload: Any = None  # a row, a list of rows, or an RPC's named arguments
    order: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    limit: int | None = None
    offset: int | None = None
    on_conflict: str | None = None
    shape: Shape = "many"
    model: type[BaseModel] | None = None
    what: str = ""  # what the request is about, for messages: "project 8d1c…"

    @property
    def method(self) -> str:
        return METHODS[self.action]

    @property
    def path(self) -> str:
        return f"/rpc/{self.target}" if self.action == "rpc" else f"/{self.target}"


def select(target: str, *filters: Filter, model: type[BaseModel] | None = None, shape: Shape = "many",
           order: tuple[tuple[str, bool], ...] = (), limit: int | None = None, offset: int | None = None,
           what: str = "") -> Op:
    return Op("select", target, filters, order=order, limit=limit, offset=offset, shape=shape, model=model, what=what)


def insert(target: str, row: Mapping[str, Any], *, model: type[BaseModel] | None = None, what: str = "") -> Op:
    return Op("insert", target, payload=jsonable(row), shape="one", model=model, what=what)


def upsert(target: str, row: Mapping[str, Any], *, on_conflict: str, model: type[BaseModel] | None = None,
           what: str = "") -> Op:
    return Op("upsert", target, payload=jsonable(row), on_conflict=on_conflict, shape="one", model=model, what=what)


def update(target: str, values: Mapping[str, Any], *filters: Filter, model: type[BaseModel] | None = None,
           what: str = "") -> Op:
    return Op("update", target, filters, payload=jsonable(values), model=model, what=what)


def delete(target: str, *filters: Filter, model: type[BaseModel] | None = None, what: str = "") -> Op:
    return Op("delete", target, filters, model=model, what=what)


def rpc(function: str, args: Mapping[str, Any] | None = None, *, shape: Shape = "one",
        model: type[BaseModel] | None = None, what: str = "") -> Op:
    return Op("rpc", function, payload=jsonable(dict(args or {})), shape=shape, model=model, what=what)


# -- reading an answer --------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _list_of(model: type[BaseModel]) -> TypeAdapter:
    """Validates a list of rows in one call into pydantic-core (faster than row by row)."""
    return TypeAdapter(list[model])


def finish(op: Op, data: Any) -> Any:
    """The JSON a transport got for `op`, as the typed value the caller gets."""
    if op.shape == "scalar":
        return data
    if op.shape == "none":
        return None
    rows = data if isinstance(data, list) else ([] if data is None else [data])
    model = op.model
    if op.shape == "many":
        return _list_of(model).validate_python(rows) if model is not None else rows
    if not rows:
        if op.shape == "maybe":
            return None
        raise NotFound(f"{op.what or op.target} not found", code="PGRST116",
                       details=f"{op.method} {op.path} returned no row")
    if len(rows) > 1:
        raise ClientError(f"expected one row of {op.target}, got {len(rows)}", code="PGRST116")
    return model.model_validate(rows[0]) if model is not None else rows[0]


def changed(op: Op, probe: Op | None = None, verb: str = "change") -> Plan[list]:
    """Run a write that must touch a row; none touched is an error, never an empty success.

    RLS hides rows from an UPDATE or DELETE silently (PostgREST answers 200 with
    `[]`). When that happens, `probe` (a select of the same row) tells whether the
    caller can see the row (PermissionDenied: visible, but not theirs to `verb`)
    or not (NotFound: missing or invisible, which are indistinguishable on purpose).
    """
    rows = yield op
    if rows:
        return rows
    if probe is not None and (yield probe):
        raise PermissionDenied(
            f"you may not {verb} {op.what or op.target}", code="42501",
            details=f"{op.method} {op.path} touched no row: row-level security let you read it but not {verb} it",
        )
    raise NotFound(f"{op.what or op.target} not found", code="PGRST116",
                   details=f"{op.method} {op.path} touched no row")


# -- running a plan -----------------------------------------------------------------


def _start(build: Callable[[], Any]) -> tuple[Generator | None, Op]:
    plan = build()
    if isinstance(plan, Op):
        return None, plan
    return plan, next(plan)


def drive(build: Callable[[], Op | Plan[T]], send: Callable[[Op], Any]) -> T:
    """Build a plan and run it with a synchronous `send`.

    `build` makes the plan (an `Op`, or a generator yielding `Op`s and receiving their
    results); an error of a request is raised inside the plan, where it may be caught.
    """
    try:
        generator, op = _start(build)
    except StopIteration as done:
        return done.value
    if generator is None:
        return finish(op, send(op))
    while True:
        try:
            try:
                result = finish(op, send(op))
            except ClientError as exc:
                op = generator.throw(exc)
            else:
                op = generator.send(result)
        except StopIteration as done:
            return done.value


async def adrive(build: Callable[[], Op | Plan[T]], send: Callable[[Op], Awaitable[Any]]) -> T:
    """`drive`, with an asynchronous `send` (the plan is built when awaited)."""
    try:
        generator, op = _start(build)
    except StopIteration as done:
        return done.value
    if generator is None:
        return finish(op, await send(op))
    while True:
        try:
            try:
                result = finish(op, await send(op))
            except ClientError as exc:
                op = generator.throw(exc)
            else:
                op = generator.send(result)
        except StopIteration as done:
            return done.value
