"""Rules about the migration files themselves rather than their statements."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import TransactionStmtKind

from ..context import FileContext
from ..source import ROLLBACK_SUFFIX, load
from .registry import Hit, check


@check("missing-rollback")
def missing_rollback(ctx: FileContext) -> Iterator[Hit]:
    if not ctx.config.rollbacks:
        return
    path = ctx.file.path
    rollback = path.with_name(path.name[: -len(".sql")] + ROLLBACK_SUFFIX)
    if not rollback.exists():
        yield Hit("missing-rollback", 1, f"no {rollback.name} next to it: supakit rollback cannot undo this migration")
        return
    undo = load(rollback)
    if undo.parse_error is None and not undo.statements:
        yield Hit("missing-rollback", 1, f"{rollback.name} has no statements: rolling back would undo nothing")


_ENDS_OR_STARTS = {
    TransactionStmtKind.TRANS_STMT_BEGIN: "begin",
    TransactionStmtKind.TRANS_STMT_START: "start transaction",
    TransactionStmtKind.TRANS_STMT_COMMIT: "commit",
    TransactionStmtKind.TRANS_STMT_ROLLBACK: "rollback",
    TransactionStmtKind.TRANS_STMT_PREPARE: "prepare transaction",
}


@check("transaction-control")
def transaction_control(ctx: FileContext) -> Iterator[Hit]:
    if not ctx.file.transactional:
        return  # a non-transactional migration may group statements itself
    for s in ctx.file.statements:
        if isinstance(s.node, ast.TransactionStmt) and s.node.kind in _ENDS_OR_STARTS:
            yield Hit("transaction-control", s.line, f"{_ENDS_OR_STARTS[s.node.kind]} inside the migration's own transaction")
