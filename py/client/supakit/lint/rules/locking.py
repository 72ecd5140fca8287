"""Statements that lock or rewrite a table others are using.

Each rule looks only at existing tables (not created earlier in the same file): a new
table is empty and invisible to other sessions until the migration commits.
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType

from ..context import FileContext
from ..expr import volatile_call
from ..nodes import def_value, qualified, relation, strings, truthy
from ..source import Statement
from .registry import Hit, check

_SERIAL_TYPES = frozenset({"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"})

# ALTER TABLE sub-commands that take SHARE UPDATE EXCLUSIVE or weaker: reads and writes go on.
_WEAK_ALTERS = frozenset({
    AlterTableType.AT_ValidateConstraint, AlterTableType.AT_SetStatistics, AlterTableType.AT_SetOptions,
    AlterTableType.AT_ResetOptions, AlterTableType.AT_ClusterOn, AlterTableType.AT_DropCluster,
    AlterTableType.AT_AttachPartition,
})
# Relations whose ALTER blocks the queries that read them.
_LOCKABLE = frozenset({
    ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_FOREIGN_TABLE,
})
_DROP_LOCKS_TABLE = frozenset({ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_POLICY, ObjectType.OBJECT_RULE})


def _alters(ctx: FileContext) -> Iterator[tuple[Statement, str, ast.AlterTableCmd]]:
    """(statement, table, command) for ALTER TABLE commands on existing tables."""
    for s in ctx.file.statements:
        if isinstance(s.node, ast.AlterTableStmt) and s.node.objtype == ObjectType.OBJECT_TABLE:
            table = relation(s.node.relation)
            if not ctx.is_new(s.index, table):
                for cmd in s.node.cmds or ():
                    yield s, table, cmd


def _column_constraints(column: ast.ColumnDef) -> list[ast.Constraint]:
    return [c for c in column.constraints or () if isinstance(c, ast.Constraint)]


def _added_columns(ctx: FileContext) -> Iterator[tuple[Statement, str, ast.ColumnDef]]:
    for s, table, cmd in _alters(ctx):
        if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            yield s, table, cmd.def_


@check("set-not-null")
def set_not_null(ctx: FileContext) -> Iterator[Hit]:
    for s, table, cmd in _alters(ctx):
        if cmd.subtype != AlterTableType.AT_SetNotNull:
            continue
        proven = any(
            ctx.not_null_checks.get(key) == cmd.name
            for key in ctx.before[s.index].validated
            if key[0] == table
        )
        if not proven:
            message = f"sets column {cmd.name} of {table} not null: a full scan under an ACCESS EXCLUSIVE lock"
            yield Hit("set-not-null", s.line, message)


@check("not-null-column-without-default")
def not_null_without_default(ctx: FileContext) -> Iterator[Hit]:
    for s, table, column in _added_columns(ctx):
        types = {c.contype for c in _column_constraints(column)}
        not_null = column.is_not_null or ConstrType.CONSTR_NOTNULL in types or ConstrType.CONSTR_PRIMARY in types
        fills = {ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED} & types
        serial = strings(column.typeName.names)[-1] in _SERIAL_TYPES if column.typeName else False
        if not_null and not fills and not serial:
            yield Hit(
                "not-null-column-without-default", s.line,
                f"adds not-null column {column.colname} to {table} without a default: fails if the table has rows",
            )


@check("volatile-default")
def volatile_default(ctx: FileContext) -> Iterator[Hit]:
    for s, table, column in _added_columns(ctx):
        reason = None
        type_name = strings(column.typeName.names)[-1] if column.typeName else ""
        if type_name in _SERIAL_TYPES:
            reason = f"is a {type_name} (a nextval() default)"
        for constraint in _column_constraints(column):
            if constraint.contype == ConstrType.CONSTR_IDENTITY:
                reason = "is an identity column"
            elif constraint.contype == ConstrType.CONSTR_GENERATED:
                reason = "is a stored generated column"
            elif constraint.contype == ConstrType.CONSTR_DEFAULT:
                found = volatile_call(constraint.raw_expr)
                if found:
                    name, known = found
                    reason = f"has default {name}(), which is volatile" if known else f"has default {name}(), which may be volatile"
        if reason:
            yield Hit("volatile-default", s.line, f"new column {column.colname} of {table} {reason}: the table is rewritten")


@check("change-column-type")
def change_column_type(ctx: FileContext) -> Iterator[Hit]:
    for s, table, cmd in _alters(ctx):
        if cmd.subtype == AlterTableType.AT_AlterColumnType:
            new_type = ".".join(n for n in strings(cmd.def_.typeName.names) if n != "pg_catalog")
            yield Hit("change-column-type", s.line, f"changes the type of column {cmd.name} of {table} to {new_type}")


@check("index-without-concurrently")
def index_without_concurrently(ctx: FileContext) -> Iterator[Hit]:
    for s in ctx.file.statements:
        node = s.node
        if isinstance(node, ast.IndexStmt) and not node.concurrent:
            table = relation(node.relation)
            if not ctx.is_new(s.index, table):
                name = node.idxname or "an index"
                yield Hit("index-without-concurrently", s.line, f"builds {name} on existing table {table} without concurrently")


@check("drop-index-without-concurrently")
def drop_index_without_concurrently(ctx: FileContext) -> Iterator[Hit]:
    for s in ctx.file.statements:
        node = s.node
        if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX and not node.concurrent:
            for names in node.objects or ():
                index = qualified(names)
                if index not in ctx.before[s.index].new_indexes:
                    yield Hit("drop-index-without-concurrently", s.line, f"drops index {index} without concurrently")


def _concurrent(node: ast.Node) -> str | None:
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "create index concurrently"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "drop index concurrently"
    if isinstance(node, ast.ReindexStmt) and any(
        p.defname == "concurrently" and (p.arg is None or truthy(def_value(p))) for p in node.params or ()
    ):
        return "reindex concurrently"
    if isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if cmd.subtype == AlterTableType.AT_DetachPartition and getattr(cmd.def_, "concurrent", False):
                return "detach partition concurrently"
    return None


@check("concurrently-in-transaction")
def concurrently_in_transaction(ctx: FileContext) -> Iterator[Hit]:
    if not ctx.file.transactional:
        return
    for s in ctx.file.statements:
        what = _concurrent(s.node)
        if what:
            yield Hit("concurrently-in-transaction", s.line, f"{what} cannot run inside the migration's transaction")


@check("constraint-without-not-valid")
def constraint_without_not_valid(ctx: FileContext) -> Iterator[Hit]:
    kinds = {ConstrType.CONSTR_FOREIGN: "foreign key", ConstrType.CONSTR_CHECK: "check constraint"}
    for s, table, cmd in _alters(ctx):
        if cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            constraint = cmd.def_
            if constraint.contype in kinds and not constraint.skip_validation:
                name = constraint.conname or "a constraint"
                message = f"adds {kinds[constraint.contype]} {name} to {table} without not valid"
                yield Hit("constraint-without-not-valid", s.line, message)
        elif cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            for constraint in _column_constraints(cmd.def_):
                if constraint.contype in kinds:
                    yield Hit(
                        "constraint-without-not-valid", s.line,
                        f"adds column {cmd.def_.colname} to {table} with an inline {kinds[constraint.contype]} (validated at once)",
                    )


@check("validate-in-same-transaction")
def validate_in_same_transaction(ctx: FileContext) -> Iterator[Hit]:
    if not ctx.file.transactional:
        return
    for s, table, cmd in _alters(ctx):
        if cmd.subtype == AlterTableType.AT_ValidateConstraint and (table, cmd.name) in ctx.before[s.index].not_valid:
            yield Hit("validate-in-same-transaction", s.line, f"validates {cmd.name} on {table} in the transaction that added it")


@check("unique-constraint-without-index")
def unique_without_index(ctx: FileContext) -> Iterator[Hit]:
    kinds = {
        ConstrType.CONSTR_UNIQUE: "unique constraint",
        ConstrType.CONSTR_PRIMARY: "primary key",
        ConstrType.CONSTR_EXCLUSION: "exclusion constraint",
    }
    for s, table, cmd in _alters(ctx):
        if cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            constraint = cmd.def_
            if constraint.contype in kinds and not constraint.indexname:
                message = f"adds {kinds[constraint.contype]} to {table}, building its index under an ACCESS EXCLUSIVE lock"
                yield Hit("unique-constraint-without-index", s.line, message)
        elif cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            for constraint in _column_constraints(cmd.def_):
                if constraint.contype in kinds:
                    message = f"adds column {cmd.def_.colname} to {table} with an inline {kinds[constraint.contype]}"
                    yield Hit("unique-constraint-without-index", s.line, message)


def strong_locks(ctx: FileContext, s: Statement) -> list[str]:
    """Existing relations this statement locks against writes (or reads), as `name (LOCK)`."""
    node, new = s.node, ctx.before[s.index].new_relations
    locked: list[str] = []

    def add(table: str, lock: str) -> None:
        if table not in new and f"{table} ({lock})" not in locked:
            locked.append(f"{table} ({lock})")

    if isinstance(node, ast.AlterTableStmt) and node.objtype in _LOCKABLE:
        table = relation(node.relation)
        for cmd in node.cmds or ():
            if cmd.subtype == AlterTableType.AT_DetachPartition and getattr(cmd.def_, "concurrent", False):
                continue
            if cmd.subtype not in _WEAK_ALTERS:
                add(table, "ACCESS EXCLUSIVE")
            for referenced in _references(cmd.def_):
                add(referenced, "SHARE ROW EXCLUSIVE")
    elif isinstance(node, ast.CreateStmt):
        for element in node.tableElts or ():
            for referenced in _references(element):
                add(referenced, "SHARE ROW EXCLUSIVE")
    elif isinstance(node, ast.RenameStmt) and node.relation and node.renameType != ObjectType.OBJECT_INDEX:
        add(relation(node.relation), "ACCESS EXCLUSIVE")
    elif isinstance(node, ast.IndexStmt) and not node.concurrent:
        add(relation(node.relation), "SHARE")
    elif isinstance(node, ast.CreateTrigStmt):
        add(relation(node.relation), "SHARE ROW EXCLUSIVE")
    elif isinstance(node, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
        add(relation(node.table), "ACCESS EXCLUSIVE")
    elif isinstance(node, ast.DropStmt):
        if node.removeType in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
            for names in node.objects or ():
                add(qualified(names), "ACCESS EXCLUSIVE")
        elif node.removeType == ObjectType.OBJECT_INDEX and not node.concurrent:
            for names in node.objects or ():
                if qualified(names) not in ctx.before[s.index].new_indexes:
                    add(f"the table of index {qualified(names)}", "ACCESS EXCLUSIVE")
        elif node.removeType in _DROP_LOCKS_TABLE:
            for names in node.objects or ():
                add(qualified(strings(names)[:-1]), "ACCESS EXCLUSIVE")
    elif isinstance(node, ast.TruncateStmt):
        for rangevar in node.relations or ():
            add(relation(rangevar), "ACCESS EXCLUSIVE")
    elif isinstance(node, ast.LockStmt) and node.mode >= 5:  # SHARE and above
        for rangevar in node.relations or ():
            add(relation(rangevar), "explicit LOCK")
    elif isinstance(node, ast.RefreshMatViewStmt) and not node.concurrent:
        add(relation(node.relation), "EXCLUSIVE")
    elif isinstance(node, ast.ClusterStmt) and node.relation:
        add(relation(node.relation), "ACCESS EXCLUSIVE")
    elif isinstance(node, ast.VacuumStmt) and any(o.defname == "full" for o in node.options or ()):
        for rel in node.rels or ():
            add(relation(rel.relation), "ACCESS EXCLUSIVE")
    return locked


def _references(node: ast.Node | None) -> list[str]:
    """Tables a foreign key in this column or constraint definition points to."""
    constraints: list[ast.Node] = []
    if isinstance(node, ast.Constraint):
        constraints = [node]
    elif isinstance(node, ast.ColumnDef):
        constraints = list(node.constraints or ())
    return [
        relation(c.pktable)
        for c in constraints
        if isinstance(c, ast.Constraint) and c.contype == ConstrType.CONSTR_FOREIGN and c.pktable is not None
    ]


@check("missing-lock-timeout")
def missing_lock_timeout(ctx: FileContext) -> Iterator[Hit]:
    for s in ctx.file.statements:
        if ctx.before[s.index].lock_timeout:
            continue
        locked = strong_locks(ctx, s)
        if locked:
            yield Hit("missing-lock-timeout", s.line, f"locks {', '.join(locked)} with no lock_timeout set before it")
