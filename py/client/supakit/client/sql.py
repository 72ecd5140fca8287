"""An `Op` as the SQL PostgREST would run for it, for the pool transport.

Every statement answers with one JSON value, as PostgREST does: rows aggregated
with `json_agg` (so both transports hand `finish` the same JSON), writes through
`json_populate_record(set)` against the table's row type (the same coercions
PostgREST applies to a request body), and RPC arguments by name. Filter values
and RPC arguments are sent as text of unknown type, like PostgREST's query-string
literals: Postgres casts them to the column's or the parameter's type, so no type
has to be known here. The SQL text of each distinct request shape is built once
and cached; only the values change between calls.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from psycopg import sql

from .ops import Op

COMPARISONS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
IS = {None: "null", True: "true", False: "false"}
AGGREGATE = "select coalesce(json_agg(s), '[]'::json) from ({}) s"
RETURNING = "with s as ({}) select coalesce(json_agg(s), '[]'::json) from s"


def text(value: Any) -> str | None:
    """A JSON-able value as the text Postgres reads it from (unknown type, cast by context)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list):
        return "{" + ",".join(_element(v) for v in value) + "}"
    return str(value)


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return text(value)
    raw = text(value)
    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ident(name: str) -> str:
    return sql.Identifier(name).as_string()


def _where(filters: tuple[tuple[str, str, Any], ...]) -> str:
    clauses = []
    for column, operator, is_value in filters:
        target = f"t.{_ident(column)}"
        if operator == "is":
            clauses.append(f"{target} is {IS[is_value]}")
        elif operator == "in":
            clauses.append(f"{target} = any(%s)")
        else:
            clauses.append(f"{target} {COMPARISONS[operator]} %s")
    return f" where {' and '.join(clauses)}" if clauses else ""


@lru_cache(maxsize=512)
def _statement(action: str, schema: str, target: str, filters: tuple, columns: tuple[str, ...],
               order: tuple, limit: bool, offset: bool, on_conflict: str | None, shape: str) -> str:
    relation = f"{_ident(schema)}.{_ident(target)}"
    where = _where(filters)
    names = ", ".join(_ident(c) for c in columns)
    if action == "select":
        ordering = ", ".join(f"t.{_ident(c)} {'desc' if desc else 'asc'}" for c, desc in order)
        query = f"select t.* from {relation} t{where}"
        query += f" order by {ordering}" if ordering else ""
        query += " limit %s" if limit else ""
        query += " offset %s" if offset else ""
        return AGGREGATE.format(query)
    if action in ("insert", "upsert"):
        query = (f"insert into {relation} as t ({names}) select {names} "
                 f"from json_populate_recordset(null::{relation}, %s::json)")
        if action == "upsert":
            assignments = ", ".join(f"{_ident(c)} = excluded.{_ident(c)}" for c in columns)
            conflict = ", ".join(_ident(c.strip()) for c in (on_conflict or "").split(","))
            query += f" on conflict ({conflict}) do update set {assignments}"
        return RETURNING.format(query + " returning t.*")
    if action == "update":
        assignments = ", ".join(f"{_ident(c)} = b.{_ident(c)}" for c in columns)
        query = (f"update {relation} as t set {assignments} "
                 f"from json_populate_record(null::{relation}, %s::json) as b{where} returning t.*")
        return RETURNING.format(query)
    if action == "delete":
        return RETURNING.format(f"delete from {relation} as t{where} returning t.*")
    if action == "rpc":
        call = f"{relation}({', '.join(f'{_ident(c)} => %s' for c in columns)})"
        if shape == "scalar":
            return f"select to_json({call})"
        if shape == "many":
            return f"select coalesce(json_agg(r), '[]'::json) from {call} as r"
        if shape == "none":
            return f"select null::json from {call} as r"
        return f"select to_json(r) from {call} as r"
    raise ValueError(f"unknown action {action!r}")


def compile_op(op: Op, schema: str = "public") -> tuple[str, list[Any]]:
    """(query, params) for `op`: one row, one column, the JSON PostgREST would answer."""
    payload = op.payload
    filter_key = tuple((f.column, f.operator, f.value if f.operator == "is" else None) for f in op.filters)
    filter_params = [text(f.value) for f in op.filters if f.operator != "is"]
    if op.action == "rpc":
        columns = tuple(payload)
        params = [text(v) for v in payload.values()]
    elif op.action in ("insert", "upsert", "update"):
        rows = payload if isinstance(payload, list) else [payload]
        columns = tuple(dict.fromkeys(key for row in rows for key in row))
        if not columns:
            raise ValueError(f"nothing to write to {op.target}")
        body = json.dumps(payload if op.action == "update" else rows)
        params = [body, *filter_params] if op.action == "update" else [body]
    else:
        columns = ()
        params = filter_params
        if op.limit is not None:
            params.append(op.limit)
        if op.offset is not None:
            params.append(op.offset)
    query = _statement(op.action, schema, op.target, filter_key, columns, op.order,
                       op.limit is not None, op.offset is not None, op.on_conflict, op.shape)
    return query, params
