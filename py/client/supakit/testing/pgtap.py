"""pgTAP files as pytest items, as `supabase test db` runs them, each in its own database.

A file under the project's `sql-tests` directories (`sql/tests`, or the Supabase CLI's
`supabase/tests`) is one test: it runs in a clone of a template that is the migrated
template plus pgTAP (schema `extensions`, as on Supabase) and the supabase-test-helpers
style functions (`tests.*`). Its statements run one by one, as psql would run the
file; the TAP they print is parsed by tap.py into a pass, or a failure that shows each
failing assertion's description and diagnostics, or the statement that errored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import psycopg
import sqlparse
from psycopg import sql

from ..errors import SupakitError, first_line
from ..providers.base import PostgresServer
from . import databases

SEARCH_PATH = '"$user", public, extensions'  # the `postgres` role's on Supabase
_META_COMMAND = re.compile(r"^\s*\\(\w+)")
_TAP_LINE = re.compile(r"^(1\.\.\d+(\s*#.*)?$|(not )?ok\b|#|Bail out!|TAP version \d+$)")
_IGNORED_META = {"set", "unset", "pset", "timing", "echo", "qecho", "x", "t", "a", "o", "q"}


class PgTapUnavailable(SupakitError):
    """The server has no pgTAP extension to install."""


@dataclass
class TapReport:
    """What one file printed, judged."""

    planned: int | None = None
    ran: int = 0
    failed: list[str] = field(default_factory=list)  # "not ok N - description" + diagnostics
    error: str | None = None  # a statement that raised, outside any assertion
    bail_out: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failed and self.error is None and self.bail_out is None and self.planned_matches

    @property
    def planned_matches(self) -> bool:
        return self.planned is None or self.planned == self.ran

    def explain(self) -> str:
        lines = list(self.failed)
        if self.error:
            lines.append(self.error)
        if self.bail_out:
            lines.append(f"Bail out! {self.bail_out}")
        if not self.planned_matches:
            lines.append(f"planned {self.planned} tests but ran {self.ran}")
        return "\n".join(lines)


def parse_tap(text: str) -> TapReport:
    """Judge TAP with tap.py's parser: a `not ok` (not TODO) fails, and so does a plan not kept."""
    from tap.parser import Parser

    report = TapReport()
    failures: list[list[str]] = []
    current: list[str] | None = None
    # Only TAP lines reach the parser: other rows a file prints (a user's uuid from
    # tests.create_supabase_user) can look like a plan to tap.py's lenient regex.
    tap_only = "\n".join(line for line in text.splitlines() if _TAP_LINE.match(line))
    for line in Parser().parse_text(tap_only):
        if line.category == "plan":
            report.planned = line.expected_tests
        elif line.category == "test":
            report.ran += 1
            current = None
            if not line.ok and not line.todo:
                description = line.description.lstrip("- ").strip()
                current = [f"not ok {line.number}" + (f" - {description}" if description else "")]
                failures.append(current)
        elif line.category == "diagnostic" and current is not None:
            current.append(line.text)
        elif line.category == "bail":
            report.bail_out = line.reason
    report.failed = ["\n".join(lines) for lines in failures]
    return report


def statements(text: str) -> list[tuple[int, str]]:
    """(line, statement) of a pgTAP file; psql's display commands (\\set ...) are dropped,
    any other meta-command is an error naming it."""
    kept: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        meta = _META_COMMAND.match(line)
        if meta:
            if meta.group(1) not in _IGNORED_META:
                raise SupakitError(f"line {number}: psql meta-command \\{meta.group(1)} is not supported in a pgTAP file")
            line = ""
        kept.append(line)
    script = "\n".join(kept)
    found: list[tuple[int, str]] = []
    offset = 0
    for statement in sqlparse.split(script):
        start = script.index(statement, offset)
        offset = start + len(statement)
        body = sqlparse.format(statement, strip_comments=True).strip().rstrip(";").strip()
        if body:
            found.append((script.count("\n", 0, start) + 1, statement))
    return found


def run_tap(conn: psycopg.Connection, text: str) -> TapReport:
    """Run the file's statements in order (autocommit: the file says begin/rollback) and
    judge every row they print as TAP."""
    output: list[str] = []
    report: TapReport
    for line, statement in statements(text):
        try:
            with conn.cursor() as cur:
                cur.execute(statement.encode())
                if cur.description is not None:
                    output.extend(str(value) for row in cur.fetchall() for value in row if value is not None)
        except psycopg.Error as exc:
            report = parse_tap("\n".join(output))
            report.error = f"line {line}: {first_line(exc)}\n    {statement.strip().splitlines()[0][:200]}"
            return report
    return parse_tap("\n".join(output))


def helpers_sql() -> str:
    return files("supakit.testing").joinpath("sql", "test_helpers.sql").read_text(encoding="utf-8")


def create_pgtap_template(server: PostgresServer, template: str) -> str:
    """A copy of the migrated template with pgTAP and the test helpers, itself a template."""
    name = databases.clone(server, template, prefix="supakit_pgtap_tpl")
    try:
        with server.connect(name, autocommit=True) as conn:
            available = conn.execute("select 1 from pg_available_extensions where name = 'pgtap'").fetchone()
            if available is None:
                raise PgTapUnavailable(
                    "the test server has no pgTAP: install it (apt-get install postgresql-15-pgtap, "
                    "or use an image that has it) to run pgTAP files"
                )
            conn.execute("create schema if not exists extensions")
            conn.execute("grant usage on schema extensions to anon, authenticated, service_role, postgres")
            conn.execute("create extension if not exists pgtap with schema extensions")
            # As on Supabase: assertions run as the API roles after tests.authenticate_as.
            conn.execute("grant execute on all functions in schema extensions to anon, authenticated, service_role")
            conn.execute(helpers_sql().encode())
        with server.connect(autocommit=True) as admin:
            admin.execute(sql.SQL("alter database {} is_template true").format(sql.Identifier(name)))
    except BaseException:
        databases.drop(server, name)
        raise
    return name


def run_file(server: PostgresServer, template: str, path: Path) -> TapReport:
    """The file in a fresh clone of the pgTAP template, dropped afterwards."""
    name = databases.clone(server, template, prefix="supakit_pgtap")
    try:
        # As `supabase test db` runs them: as `postgres`, not a superuser where supakit made the server.
        with psycopg.connect(server.migrate_url(name), autocommit=True) as conn:
            conn.execute(f"set search_path = {SEARCH_PATH}")
            return run_tap(conn, path.read_text(encoding="utf-8"))
    finally:
        databases.drop(server, name)
