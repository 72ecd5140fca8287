"""What is true before each statement of a file, and what the project's history says.

"Existing table" means a table the file did not create itself: a table created earlier
in the same file is new and empty, so building an index on it locks nobody out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from pglast import ast
from pglast.enums import AlterTableType, NullTestType

from .nodes import function_name, relation, schema_of, strings, walk
from .source import FileKind, SqlFile, classify, load

DEFAULT_EXPOSED = frozenset({"public"})


@dataclass(frozen=True)
class LintConfig:
    exposed_schemas: frozenset[str] = DEFAULT_EXPOSED
    # False where the layout keeps no rollback files (the Supabase CLI's).
    rollbacks: bool = True


@dataclass(frozen=True)
class Before:
    """The file's effects so far, as seen by the statement at the same index."""

    new_relations: frozenset[str] = frozenset()          # tables/views created earlier in the file
    new_indexes: frozenset[str] = frozenset()            # schema.index created earlier in the file
    lock_timeout: bool = False                           # a positive lock_timeout is in effect
    not_valid: frozenset[tuple[str, str]] = frozenset()  # (table, constraint) added NOT VALID here
    validated: frozenset[tuple[str, str]] = frozenset()  # (table, constraint) validated here


@dataclass
class FileContext:
    file: SqlFile
    config: LintConfig
    before: list[Before] = field(default_factory=list)
    not_null_checks: dict[tuple[str, str], str] = field(default_factory=dict)

    def is_new(self, index: int, table: str) -> bool:
        return table in self.before[index].new_relations

    def exposed(self, schema: str) -> bool:
        return schema in self.config.exposed_schemas

    @property
    def rls_enabled(self) -> frozenset[str]:
        """Tables the file enables RLS on (anywhere: the create usually comes first)."""
        return frozenset(
            relation(s.node.relation)
            for s in self.file.statements
            if isinstance(s.node, ast.AlterTableStmt)
            for cmd in s.node.cmds or ()
            if cmd.subtype == AlterTableType.AT_EnableRowSecurity
        )


def build(file: SqlFile, config: LintConfig) -> FileContext:
    ctx = FileContext(file, config)
    state = Before()
    for statement in file.statements:
        ctx.before.append(state)
        state = _advance(state, statement.node, file.transactional)
    ctx.not_null_checks = dict(_history(file.path.parent)) if file.kind in (FileKind.MIGRATION, FileKind.ROLLBACK) else {}
    ctx.not_null_checks.update(not_null_checks(file))
    return ctx


def _advance(state: Before, node: ast.Node, transactional: bool) -> Before:
    rels, idx, timeout = set(state.new_relations), set(state.new_indexes), state.lock_timeout
    not_valid, validated = set(state.not_valid), set(state.validated)
    if isinstance(node, ast.CreateStmt):
        rels.add(relation(node.relation))
    elif isinstance(node, ast.CreateTableAsStmt):
        rels.add(relation(node.into.rel))
    elif isinstance(node, ast.ViewStmt):
        rels.add(relation(node.view))
    elif isinstance(node, ast.IndexStmt) and node.idxname:
        idx.add(f"{schema_of(node.relation)}.{node.idxname}")
    elif isinstance(node, ast.VariableSetStmt) and node.name == "lock_timeout":
        timeout = _timeout_after(node, transactional, timeout)
    elif isinstance(node, ast.SelectStmt):
        timeout = _set_config_timeout(node, transactional, timeout)
    elif isinstance(node, ast.AlterTableStmt):
        table = relation(node.relation)
        for cmd in node.cmds or ():
            if cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
                if cmd.def_.skip_validation and cmd.def_.conname:
                    not_valid.add((table, cmd.def_.conname))
            elif cmd.subtype == AlterTableType.AT_ValidateConstraint:
                validated.add((table, cmd.name))
    return Before(frozenset(rels), frozenset(idx), timeout, frozenset(not_valid), frozenset(validated))


def _positive(value: str | int | None) -> bool:
    """`'5s'`, `5000` are timeouts; `0`, `'0'`, `'0ms'` disable the timeout."""
    text = str(value).strip().lower() if value is not None else ""
    digits = "".join(ch for ch in text if ch.isdigit() or ch == ".")
    try:
        return float(digits) > 0
    except ValueError:
        return False


def _timeout_after(node: ast.VariableSetStmt, transactional: bool, current: bool) -> bool:
    if node.is_local and not transactional:
        return current  # SET LOCAL outside a transaction block does nothing
    args = node.args or ()
    if not args:
        return False  # RESET, SET ... TO DEFAULT
    val = getattr(args[0], "val", None)
    return _positive(getattr(val, "sval", getattr(val, "ival", None)))


def _set_config_timeout(node: ast.SelectStmt, transactional: bool, current: bool) -> bool:
    for item, _ in walk(node):
        if isinstance(item, ast.FuncCall) and function_name(item)[1] == "set_config" and len(item.args or ()) == 3:
            name, value, local = item.args
            if getattr(getattr(name, "val", None), "sval", None) != "lock_timeout":
                continue
            is_local = bool(getattr(getattr(local, "val", None), "boolval", False))
            if is_local and not transactional:
                continue
            raw = getattr(value, "val", None)
            current = _positive(getattr(raw, "sval", getattr(raw, "ival", None)))
    return current


def not_null_checks(file: SqlFile) -> dict[tuple[str, str], str]:
    """(table, constraint) -> column, for `check (column is not null)` constraints the file adds."""
    found: dict[tuple[str, str], str] = {}
    for statement in file.statements:
        node = statement.node
        if isinstance(node, ast.AlterTableStmt):
            table = relation(node.relation)
            constraints = [c.def_ for c in node.cmds or () if c.subtype == AlterTableType.AT_AddConstraint]
        elif isinstance(node, ast.CreateStmt):
            table = relation(node.relation)
            constraints = [e for e in node.tableElts or () if isinstance(e, ast.Constraint)]
        else:
            continue
        for constraint in constraints:
            column = _not_null_column(constraint)
            if column and constraint.conname:
                found[(table, constraint.conname)] = column
    return found


def _not_null_column(constraint: ast.Node) -> str | None:
    if not isinstance(constraint, ast.Constraint) or constraint.contype.name != "CONSTR_CHECK":
        return None
    expr = constraint.raw_expr
    if (
        isinstance(expr, ast.NullTest)
        and expr.nulltesttype == NullTestType.IS_NOT_NULL
        and isinstance(expr.arg, ast.ColumnRef)
    ):
        return strings(expr.arg.fields)[-1]
    return None


@functools.lru_cache(maxsize=32)
def _history_cached(directory: str, stamp: tuple[tuple[str, float], ...]) -> tuple[tuple[tuple[str, str], str], ...]:
    found: dict[tuple[str, str], str] = {}
    for name, _ in stamp:
        path = Path(directory) / name
        sql = load(path)
        if sql.parse_error is None:
            found.update(not_null_checks(sql))
    return tuple(found.items())


def _history(directory: Path) -> dict[tuple[str, str], str]:
    """Not-null checks defined by any versioned migration in the directory."""
    if not directory.is_dir():
        return {}
    paths = sorted(p for p in directory.glob("*.sql") if classify(p) is FileKind.MIGRATION)
    stamp = tuple((p.name, p.stat().st_mtime) for p in paths)
    return dict(_history_cached(str(directory), stamp))


def parse_schemas(text: str | None) -> frozenset[str]:
    """`public, api` -> {"public", "api"}: PostgREST's `db-schemas` syntax; empty means public."""
    names = frozenset(part.strip() for part in (text or "").split(",") if part.strip())
    return names or DEFAULT_EXPOSED
