"""Migration failures, each naming the file, the statement and Postgres' message."""

from __future__ import annotations

from ..errors import SupakitError, first_line

__all__ = ["LockTimeout", "MigrationError", "first_line"]


class MigrationError(SupakitError):
    """A migration or repeatable failed; nothing of it was kept."""

    def __init__(self, path: str, message: str, statement: str | None = None, line: int | None = None):
        self.path, self.pg_message, self.statement, self.line = path, message, statement, line
        text = f"{path}:{line}: {message}" if line else f"{path}: {message}"
        if statement:
            text += f"\n  in statement: {_excerpt(statement)}"
        super().__init__(text)


class LockTimeout(SupakitError):
    """Another migrate run held the lock for longer than we were willing to wait."""


def _excerpt(statement: str, limit: int = 200) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
