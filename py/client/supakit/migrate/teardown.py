"""Undo what the repeatables define, read from their own SQL with a real parser.

A rollback drops tables, and with them the policies and triggers the repeatables
put on them; functions and views that do not depend on a table would stay behind,
defined against a schema that no longer exists. So a rollback first drops every
object the repeatables create, in reverse order, and re-applies them afterwards
where the remaining schema allows.

What the repeatables generate with `execute format(...)` (private.enable_audit's
triggers and update writers, private.enable_soft_delete's views and triggers) is not in their text: the
generators record it in private.generated_objects (migration 0016), and
`generated_drops` reads it from there.
"""

from __future__ import annotations

import pglast
import psycopg
from pglast.enums import FunctionParameterMode
from pglast.stream import RawStream
from psycopg import sql

from .files import Repeatable

# Parameters that are part of a function's identity (OUT and TABLE columns are not).
_SIGNATURE_MODES = {
    FunctionParameterMode.FUNC_PARAM_IN,
    FunctionParameterMode.FUNC_PARAM_INOUT,
    FunctionParameterMode.FUNC_PARAM_VARIADIC,
    FunctionParameterMode.FUNC_PARAM_DEFAULT,
}


def drop_statements(repeatables: list[Repeatable]) -> list[tuple[str, str | None]]:
    """(drop statement, table it needs or None), newest definition first."""
    drops: list[tuple[str, str | None]] = []
    for item in repeatables:
        for raw in pglast.parse_sql(item.path.read_text()):
            drop = _drop_for(raw.stmt)
            if drop is not None:
                drops.append(drop)
    return list(reversed(drops))


def render(node) -> str:
    """SQL text of one node (a RawStream accumulates: one per call)."""
    return RawStream()(node)


def _drop_for(stmt) -> tuple[str, str | None] | None:
    kind = type(stmt).__name__
    if kind == "CreateFunctionStmt":
        name = ".".join(part.sval for part in stmt.funcname)
        args = ", ".join(render(p.argType) for p in stmt.parameters or () if p.mode in _SIGNATURE_MODES)
        what = "procedure" if stmt.is_procedure else "function"
        return f"drop {what} if exists {name}({args}) cascade", None
    if kind == "CreateTrigStmt":
        table = render(stmt.relation)
        return f"drop trigger if exists {stmt.trigname} on {table}", table
    if kind == "CreatePolicyStmt":
        table = render(stmt.table)
        return f"drop policy if exists {stmt.policy_name} on {table}", table
    if kind == "ViewStmt":
        return f"drop view if exists {render(stmt.view)} cascade", None
    return None


GENERATED = "private.generated_objects"


def generated_drops(conn: psycopg.Connection) -> list[sql.Composed]:
    """Drop statements for what the generators recorded and still exists, newest first
    (a trigger on a view before the view); the record is emptied with them."""
    if conn.execute("select to_regclass(%s)", (GENERATED,)).fetchone()[0] is None:
        return []
    rows = conn.execute(
        f"delete from {GENERATED} returning kind, relation, name, to_regclass(relation) is not null, created_at"
    ).fetchall()
    drops: list[sql.Composed] = []
    for kind, relation, name, exists, _ in sorted(rows, key=lambda r: (r[4], r[0] == "trigger"), reverse=True):
        if kind == "function":  # outlives its table: dropped whether the table is there or not
            drops.append(sql.SQL("drop function if exists {}() cascade").format(sql.SQL(name)))
            continue
        if not exists:
            continue  # gone with its table
        if kind == "view":
            drops.append(sql.SQL("drop view if exists {} cascade").format(sql.SQL(relation)))
        else:
            drops.append(sql.SQL("drop trigger if exists {} on {}").format(sql.Identifier(name), sql.SQL(relation)))
    return drops
