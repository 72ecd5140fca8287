"""What an expression does, read from its AST: shared by lint rules and doctor checks.

The doctor feeds these the expressions Postgres stores (`pg_get_expr` output parsed
with pglast), so a policy written in a migration and the same policy read back from
the catalog are judged by the same code.
"""

from __future__ import annotations

import pglast
from pglast import ast

from .nodes import function_name, strings, walk

# Functions that read the caller's identity from the request: each call re-reads and
# re-parses `request.jwt.claims`, so per row it is expensive.
CALLER_FUNCTIONS = frozenset({("auth", "uid"), ("auth", "jwt"), ("auth", "role"), ("auth", "email")})
SETTING_FUNCTIONS = frozenset({"current_setting"})

# Defaults that Postgres 11+ evaluates once when a column is added (no table rewrite).
NON_VOLATILE = frozenset({
    "now", "transaction_timestamp", "statement_timestamp", "current_setting", "to_jsonb", "to_json",
    "jsonb_build_object", "json_build_object", "jsonb_build_array", "json_build_array", "make_interval",
    "make_date", "make_timestamp", "make_timestamptz", "to_timestamp", "to_date", "lower", "upper",
    "btrim", "length", "char_length", "concat", "date_trunc", "timezone", "uid", "jwt", "role", "email",
    "array_fill", "interval",
})
VOLATILE = frozenset({
    "random", "random_normal", "gen_random_uuid", "gen_random_bytes", "uuid_generate_v1",
    "uuid_generate_v1mc", "uuid_generate_v4", "uuidv4", "uuidv7", "clock_timestamp", "timeofday",
    "nextval", "setseed", "txid_current", "pg_current_xact_id",
})


def caller_call_name(call: ast.FuncCall) -> str | None:
    """`auth.uid()`-like or `current_setting()` calls, by display name; None for others."""
    schema, name = function_name(call)
    if (schema, name) in CALLER_FUNCTIONS:
        return f"{schema}.{name}()"
    if name in SETTING_FUNCTIONS and schema in (None, "pg_catalog"):
        return f"{name}()"
    return None


def per_row_calls(expr: ast.Node | None) -> list[str]:
    """Caller functions not wrapped in an uncorrelated `(select ...)`.

    Wrapped as `(select auth.uid())`, Postgres runs the call once per statement (an
    InitPlan); bare, or inside a subquery with a FROM or a reference to the row, it
    runs for every row the policy checks.
    """
    found = []
    for node, ancestors in walk(expr):
        if isinstance(node, ast.FuncCall):
            name = caller_call_name(node)
            if name and not _evaluated_once(ancestors):
                found.append(name)
    return found


def _evaluated_once(ancestors: tuple[ast.Node, ...]) -> bool:
    selects = [a for a in ancestors if isinstance(a, ast.SelectStmt)]
    if not selects:
        return False
    nearest = selects[-1]
    if nearest.fromClause:
        return False
    return not any(isinstance(node, ast.ColumnRef) for node, _ in walk(nearest))


def reads_user_metadata(expr: ast.Node | None) -> bool:
    """True when the expression looks into `user_metadata`, which any user can edit."""
    for node, _ in walk(expr):
        if isinstance(node, ast.String) and (
            node.sval == "user_metadata" or node.sval.startswith("{user_metadata")
        ):
            return True
        if isinstance(node, ast.ColumnRef) and strings(node.fields)[-1:] in (("raw_user_meta_data",), ("user_metadata",)):
            return True
    return False


def is_true(expr: ast.Node | None) -> bool:
    """The literal `true`: a policy that checks nothing."""
    if isinstance(expr, ast.A_Const) and isinstance(expr.val, ast.Boolean):
        return bool(expr.val.boolval)
    if isinstance(expr, ast.TypeCast) and strings(expr.typeName.names)[-1:] in (("bool",), ("boolean",)):
        arg = expr.arg
        return (
            isinstance(arg, ast.A_Const)
            and isinstance(arg.val, ast.String)
            and arg.val.sval.lower() in ("t", "true", "on", "yes", "1")
        )
    return False


def volatile_call(expr: ast.Node | None) -> tuple[str, bool] | None:
    """The first function call that is (or may be) volatile: (name, known_volatile)."""
    for node, _ in walk(expr):
        if isinstance(node, ast.FuncCall):
            _, name = function_name(node)
            if name in VOLATILE:
                return name, True
            if name not in NON_VOLATILE:
                return name, False
    return None


def parse_expression(text: str) -> ast.Node:
    """An expression as Postgres prints it (`pg_get_expr`), parsed back to an AST."""
    select = pglast.parse_sql(f"select {text}")[0].stmt
    return select.targetList[0].val
