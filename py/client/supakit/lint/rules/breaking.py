"""Changes that break running clients or lose data: drops and renames.

Off in rollback files, whose job is to drop what their migration created.
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, DropBehavior, ObjectType

from ..context import FileContext
from ..nodes import qualified, relation, strings
from .registry import Hit, check

_RELATIONS = {
    ObjectType.OBJECT_TABLE: "table",
    ObjectType.OBJECT_VIEW: "view",
    ObjectType.OBJECT_MATVIEW: "materialized view",
    ObjectType.OBJECT_FOREIGN_TABLE: "foreign table",
}


@check("drop-column")
def drop_column(ctx: FileContext) -> Iterator[Hit]:
    for s in ctx.file.statements:
        if isinstance(s.node, ast.AlterTableStmt) and s.node.objtype == ObjectType.OBJECT_TABLE:
            table = relation(s.node.relation)
            if ctx.is_new(s.index, table):
                continue
            for cmd in s.node.cmds or ():
                if cmd.subtype == AlterTableType.AT_DropColumn:
                    yield Hit("drop-column", s.line, f"drops column {cmd.name} of {table}")


@check("drop-table")
def drop_table(ctx: FileContext) -> Iterator[Hit]:
    for s in ctx.file.statements:
        node = s.node
        if not isinstance(node, ast.DropStmt):
            continue
        if node.removeType == ObjectType.OBJECT_TABLE:
            for names in node.objects or ():
                table = qualified(names)
                if not ctx.is_new(s.index, table):
                    yield Hit("drop-table", s.line, f"drops table {table}")
        elif node.removeType == ObjectType.OBJECT_SCHEMA and node.behavior == DropBehavior.DROP_CASCADE:
            for name in strings(node.objects):
                yield Hit("drop-table", s.line, f"drops schema {name} with cascade, and every table in it")


@check("rename-column")
def rename_column(ctx: FileContext) -> Iterator[Hit]:
    for s in ctx.file.statements:
        node = s.node
        if isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_COLUMN and node.relation:
            table = relation(node.relation)
            if not ctx.is_new(s.index, table):
                yield Hit("rename-column", s.line, f"renames column {node.subname} of {table} to {node.newname}")


@check("rename-table")
def rename_table(ctx: FileContext) -> Iterator[Hit]:
    for s in ctx.file.statements:
        node = s.node
        if isinstance(node, ast.RenameStmt) and node.renameType in _RELATIONS and node.relation:
            table = relation(node.relation)
            if not ctx.is_new(s.index, table):
                kind = _RELATIONS[node.renameType]
                yield Hit("rename-table", s.line, f"renames {kind} {table} to {node.newname}")
