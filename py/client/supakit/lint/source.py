"""A SQL file as the lint sees it: pglast statements with line numbers, comments, yoyo headers.

Everything here comes from Postgres' own parser and scanner (pglast); only the text of
comments (yoyo's `-- transactional:` header, suppressions) is read with a pattern.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import pglast
from pglast import ast
from pglast.parser import ParseError, scan

ROLLBACK_SUFFIX = ".rollback.sql"
_MIGRATION_NAME = re.compile(r"^\d+_.+\.sql$")
# yoyo's own header syntax: `-- transactional: false`, in the file's leading comments.
_HEADER = re.compile(r"^\s*--\s*(transactional|depends)\s*:\s*(.*)$")  # yoyo: keys are case-sensitive
_COMMENT_OR_BLANK = re.compile(r"^\s*(--.*)?$")


class FileKind(str, Enum):
    """Which rules apply depends on what the file is to the migrator."""

    MIGRATION = "migration"    # sql/migrations/NNNN_name.sql
    ROLLBACK = "rollback"      # sql/migrations/NNNN_name.rollback.sql
    REPEATABLE = "repeatable"  # sql/functions/*.sql, sql/policies/*.sql
    OTHER = "other"            # any other .sql file given on the command line


def classify(path: Path) -> FileKind:
    if path.name.endswith(ROLLBACK_SUFFIX):
        return FileKind.ROLLBACK
    if path.parent.name == "migrations" and _MIGRATION_NAME.match(path.name):
        return FileKind.MIGRATION
    if path.parent.name in ("functions", "policies"):
        return FileKind.REPEATABLE
    return FileKind.OTHER


@dataclass(frozen=True)
class Statement:
    """One top-level statement: its AST and where it starts (1-based line)."""

    index: int
    node: ast.Node
    line: int
    start: int  # character offset of its first token
    end: int    # character offset just past its last character


@dataclass(frozen=True)
class Comment:
    line: int
    offset: int
    text: str  # including the leading `--`


@dataclass
class SqlFile:
    path: Path
    display: str
    kind: FileKind
    text: str
    statements: list[Statement] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    header_end_line: int = 0  # last line of the leading comment block (0: none)
    transactional: bool = True
    parse_error: tuple[int, str] | None = None
    _newlines: list[int] = field(default_factory=list, repr=False)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1

    def comment_lines(self) -> set[int]:
        return {c.line for c in self.comments}

    @property
    def sibling_forward(self) -> Path | None:
        """For a rollback file, the migration it undoes."""
        if self.kind is not FileKind.ROLLBACK:
            return None
        return self.path.with_name(self.path.name[: -len(ROLLBACK_SUFFIX)] + ".sql")


@functools.cache
def _offsets_are_bytes() -> bool:
    """Whether this pglast reports UTF-8 byte offsets (older releases) or character offsets."""
    return pglast.parse_sql("select 'é'; select 1")[1].stmt_location == 13


def _char_offset(encoded: bytes, offset: int) -> int:
    if not _offsets_are_bytes():
        return offset
    return len(encoded[:offset].decode("utf-8", errors="ignore"))


def load(path: Path, display: str | None = None, kind: FileKind | None = None) -> SqlFile:
    return parse_text(path.read_text(encoding="utf-8"), path, display, kind)


def parse_text(text: str, path: Path, display: str | None = None, kind: FileKind | None = None) -> SqlFile:
    """Parse `text` as the file at `path`; a syntax error is kept, not raised."""
    kind = kind or classify(path)
    sql = SqlFile(path=path, display=display or str(path), kind=kind, text=text)
    sql._newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    sql.header_end_line = _header_end(text)
    sql.transactional = _transactional(sql)
    encoded = text.encode("utf-8")

    def char(offset: int) -> int:
        return _char_offset(encoded, offset)

    try:
        tokens = scan(text)
        raws = pglast.parse_sql(text)
    except ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        sql.parse_error = (sql.line_of(char(offset)), str(exc.args[0]))
        return sql
    sql.comments = [
        Comment(sql.line_of(char(t.start)), char(t.start), text[char(t.start) : char(t.end) + 1])
        for t in tokens
        if t.name == "SQL_COMMENT"
    ]
    starts = [char(t.start) for t in tokens if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    for index, raw in enumerate(raws):
        location = char(raw.stmt_location)
        end = char(raw.stmt_location + raw.stmt_len) if raw.stmt_len else len(text)
        # The parser's location may sit on whitespace or comments before the first token.
        at = bisect.bisect_left(starts, location)
        first = starts[at] if at < len(starts) else location
        sql.statements.append(Statement(index, raw.stmt, sql.line_of(first), first, end))
    return sql


def header_directives(text: str) -> dict[str, str]:
    """yoyo's directives from the leading comment block, as yoyo reads them."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            key = match.group(1)
            found[key] = f"{found[key]} {match.group(2)}".strip() if key in found else match.group(2).strip()
        elif not _COMMENT_OR_BLANK.match(line):
            break
    return found


def _header_end(text: str) -> int:
    last = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not _COMMENT_OR_BLANK.match(line):
            break
        if line.strip():
            last = number
    return last


def _transactional(sql: SqlFile) -> bool:
    """Repeatables run in the migrator's one transaction; a rollback shares its migration's header."""
    if sql.kind is FileKind.REPEATABLE:
        return True
    source = sql.text
    forward = sql.sibling_forward
    if forward is not None:
        source = forward.read_text(encoding="utf-8") if forward.exists() else ""
    return header_directives(source).get("transactional", "true").strip().lower() != "false"
