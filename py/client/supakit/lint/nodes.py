"""Small helpers over pglast's AST: walking it and naming what it refers to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast

DEFAULT_SCHEMA = "public"  # where an unqualified name lands on Supabase's search_path


def children(node: ast.Node) -> Iterator[ast.Node]:
    for name in type(node).__slots__:
        value = getattr(node, name, None)
        if isinstance(value, ast.Node):
            yield value
        elif isinstance(value, (tuple, list)):
            yield from _flatten(value)


def _flatten(values: Any) -> Iterator[ast.Node]:
    for value in values:
        if isinstance(value, ast.Node):
            yield value
        elif isinstance(value, (tuple, list)):
            yield from _flatten(value)


def walk(node: ast.Node | None, ancestors: tuple[ast.Node, ...] = ()) -> Iterator[tuple[ast.Node, tuple[ast.Node, ...]]]:
    """Every node under `node` (itself included), with its ancestors outermost first."""
    if node is None:
        return
    yield node, ancestors
    inner = (*ancestors, node)
    for child in children(node):
        yield from walk(child, inner)


def strings(names: Any) -> tuple[str, ...]:
    """A parser name list (`(String, String)`) as plain strings."""
    return tuple(getattr(n, "sval", str(n)) for n in names or ())


def relation(rangevar: ast.RangeVar) -> str:
    """`schema.name`, unqualified names resolved to the default schema."""
    return f"{rangevar.schemaname or DEFAULT_SCHEMA}.{rangevar.relname}"


def qualified(names: Any) -> str:
    parts = strings(names)
    return ".".join(parts) if len(parts) > 1 else f"{DEFAULT_SCHEMA}.{parts[0]}"


def schema_of(rangevar: ast.RangeVar) -> str:
    return rangevar.schemaname or DEFAULT_SCHEMA


def function_name(call: ast.FuncCall) -> tuple[str | None, str]:
    parts = strings(call.funcname)
    return (parts[0] if len(parts) > 1 else None), parts[-1]


def def_value(elem: ast.DefElem) -> Any:
    """A DefElem's argument as a Python value (bool, str, int or None)."""
    arg = elem.arg
    if arg is None:
        return None
    if isinstance(arg, ast.Boolean):
        return arg.boolval
    if isinstance(arg, ast.String):
        return arg.sval
    if isinstance(arg, ast.Integer):
        return arg.ival
    if isinstance(arg, (tuple, list)):
        return strings(arg)
    return arg


def truthy(value: Any) -> bool:
    """Postgres' reading of a boolean option (`true`, `on`, `1`, `yes`)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return str(value).strip().lower() in ("true", "on", "1", "yes", "t", "y")
