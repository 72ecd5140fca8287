"""migrate, status and rollback: the steps of a run, under one lock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
import sqlparse
from yoyo import read_migrations
from yoyo.exceptions import BadMigration, MigrationConflict
from yoyo.topologicalsort import CycleError

from ..dburl import unreachable
from ..errors import ConfigError
from ..project import Project, find_project
from . import files, teardown
from .atomic import apply_recorded, error_line
from .backend import BOOKKEEPING_SQL, MIGRATION_TABLE, SCHEMA, BookkeepingBackend, open_backend
from .errors import MigrationError, first_line
from .lock import migration_lock


REPEATABLE_LOCK_TIMEOUT = "5s"


@dataclass
class MigrateResult:
    applied: list[str] = field(default_factory=list)
    repeatables: list[str] = field(default_factory=list)
    # WARNINGs the repeatables raised (say, audit writers an upgrade could not regenerate):
    # what the database asks a person to do, shown instead of lost with the connection.
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.repeatables)


@dataclass
class Status:
    applied: list[str]
    pending: list[str]
    drift: list[str]
    changed_repeatables: list[str]
    missing_files: list[str]

    def as_dict(self) -> dict[str, list[str]]:
        return asdict(self)


def migrate(
    url: str, project: Project | None = None, *, lock_timeout: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
) -> MigrateResult:
    """Apply pending versioned migrations, then every repeatable whose text changed.

    `on_wait` is told once if another run holds the lock and this one waits for it.
    """
    project = project or find_project()
    result = MigrateResult()
    with _locked(url, lock_timeout, on_wait) as conn:
        conn.add_notice_handler(lambda notice: _keep_warning(result, notice))
        applied = set(_applied_ids(conn))
        if any(mid not in applied for mid in files.versioned_files(project)):
            # Only now load yoyo, which parses every file: a no-op or a policy edit skips it.
            with _yoyo(conn, url) as backend:
                for migration in _pending(backend, project):
                    checksum = files.checksum(Path(migration.path))
                    _guard(project, migration, lambda m=migration, c=checksum: apply_recorded(
                        backend, m, c, lambda: _record(conn, "versioned", m.id, c)))
                    result.applied.append(migration.id)
        _adopt_unrecorded(conn, project)
        result.repeatables = _apply_repeatables(conn, project)
        if result.changed:
            conn.execute("notify pgrst, 'reload schema'")
    return result


def _keep_warning(result: MigrateResult, notice: psycopg.errors.Diagnostic) -> None:
    if notice.severity_nonlocalized == "WARNING":
        hint = f" (hint: {notice.message_hint})" if notice.message_hint else ""
        result.warnings.append(f"{notice.message_primary}{hint}")


@dataclass
class RollbackResult:
    rolled_back: list[str] = field(default_factory=list)
    removed_repeatables: list[str] = field(default_factory=list)


def rollback(
    url: str,
    project: Project | None = None,
    *,
    count: int | None = None,
    to: str | None = None,
    lock_timeout: float = 60.0,
) -> RollbackResult:
    """Roll back the newest `count` migrations (default 1), or all applied after `to`.

    The repeatables' objects are dropped first: they are written against the newest
    schema, and a trigger or function left on an older one can break it (a sign-up
    trigger writing to a dropped table). The next `migrate` re-applies them.
    """
    project = project or find_project()
    result = RollbackResult()
    with _locked(url, lock_timeout) as conn, _yoyo(conn, url) as backend:
        applied = _loaded(project, lambda: list(backend.to_rollback(read_migrations(str(project.migrations)))))
        chosen = _choose_rollback(applied, count, to)
        for migration in chosen:
            if not Path(migration.path).with_name(f"{migration.id}{files.ROLLBACK_SUFFIX}").exists():
                raise MigrationError(_rel(project, migration.path), f"no {migration.id}{files.ROLLBACK_SUFFIX}: cannot roll it back")
        if not chosen:
            return result
        result.removed_repeatables = _drop_repeatables(conn, project)
        for migration in chosen:
            _guard(project, migration, lambda m=migration: backend.rollback_one(m))
            conn.execute(f"delete from {SCHEMA}.checksums where kind = 'versioned' and name = %s", (migration.id,))
            result.rolled_back.append(migration.id)
        conn.execute("notify pgrst, 'reload schema'")
    return result


def status(url: str, project: Project | None = None) -> Status:
    """What migrate would do, and applied files whose text changed (drift). Read-only."""
    project = project or find_project()
    on_disk = files.versioned_files(project)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            applied = _applied_ids(conn)
            recorded = _recorded(conn)
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from exc
    drift = [
        mid for mid in applied
        if mid in on_disk and recorded.get(("versioned", mid), files.checksum(on_disk[mid])) != files.checksum(on_disk[mid])
    ]
    return Status(
        applied=applied,
        pending=[mid for mid in on_disk if mid not in applied],
        drift=drift,
        changed_repeatables=[r.key for r in files.repeatables(project) if recorded.get(("repeatable", r.key)) != r.checksum],
        missing_files=[mid for mid in applied if mid not in on_disk],
    )


@contextmanager
def _locked(url: str, lock_timeout: float, on_wait: Callable[[str], None] | None = None) -> Iterator[psycopg.Connection]:
    """The run's own connection, holding the migration lock, with the bookkeeping in place."""
    try:
        with migration_lock(url, lock_timeout, on_wait) as conn:
            if not _exists(conn, f"{SCHEMA}.checksums"):
                conn.execute(BOOKKEEPING_SQL)
            yield conn
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from exc


@contextmanager
def _yoyo(conn: psycopg.Connection, url: str) -> Iterator[BookkeepingBackend]:
    """A fresh yoyo backend holding yoyo's lock too, so plain `yoyo` runs wait for us."""
    backend = open_backend(url)
    try:
        if _exists(conn, f"{SCHEMA}.yoyo_lock"):
            conn.execute(f"delete from {SCHEMA}.yoyo_lock")  # we hold the advisory lock: a crashed run's row
        with backend.lock():
            yield backend
    finally:
        backend.connection.close()


def _pending(backend: BookkeepingBackend, project: Project) -> list:
    return _loaded(project, lambda: list(backend.to_apply(read_migrations(str(project.migrations)))))


def _loaded(project: Project, load):
    """yoyo's reading and ordering errors (a bad header, a dependency cycle) as one line."""
    try:
        return load()
    except (BadMigration, MigrationConflict, CycleError) as exc:
        raise MigrationError(_rel(project, project.migrations), f"cannot order the migrations: {first_line(exc)}") from exc


def _guard(project: Project, migration, action) -> None:
    """Run a yoyo step, turning driver errors into one that names file and statement."""
    try:
        action()
    except psycopg.Error as exc:
        statement = getattr(exc, "supakit_statement", None)
        raise MigrationError(
            _rel(project, migration.path), first_line(exc), statement, error_line(Path(migration.path), statement, exc)
        ) from exc
    except BadMigration as exc:
        raise MigrationError(_rel(project, migration.path), f"cannot load: {exc}") from exc


def _apply_repeatables(conn: psycopg.Connection, project: Project) -> list[str]:
    """Changed repeatables in one transaction: all of them apply, or none and no record."""
    recorded = _recorded(conn)
    changed = [r for r in files.repeatables(project) if recorded.get(("repeatable", r.key)) != r.checksum]
    if not changed:
        return []
    with conn.transaction():
        # Re-creating a policy or trigger locks its table: fail fast rather than queue
        # behind a long transaction while every other query queues behind us.
        conn.execute("select set_config('lock_timeout', %s, true)", (REPEATABLE_LOCK_TIMEOUT,))
        for item in changed:
            for statement in split_statements(item.path.read_text()):
                try:
                    conn.execute(statement)
                except psycopg.Error as exc:
                    raise MigrationError(item.key, first_line(exc), statement, error_line(item.path, statement, exc)) from exc
            _record(conn, "repeatable", item.key, item.checksum)
    return [r.key for r in changed]


def _drop_repeatables(conn: psycopg.Connection, project: Project) -> list[str]:
    """Everything the repeatables define, gone, and their checksums with it."""
    repeatables = files.repeatables(project)
    with conn.transaction():
        for generated in teardown.generated_drops(conn):
            conn.execute(generated)
        for statement, table in teardown.drop_statements(repeatables):
            if table is None or _exists(conn, table):
                conn.execute(statement)
        conn.execute(f"delete from {SCHEMA}.checksums where kind = 'repeatable'")
    return [r.key for r in repeatables]


def split_statements(text: str) -> list[str]:
    """Statements as yoyo splits them (sqlparse; `$$` bodies stay whole), comments-only dropped."""
    return [s for s in sqlparse.split(text) if sqlparse.format(s, strip_comments=True).strip()]


def _adopt_unrecorded(conn: psycopg.Connection, project: Project) -> None:
    """Migrations applied by plain yoyo get their current checksum as the baseline."""
    recorded = _recorded(conn)
    on_disk = files.versioned_files(project)
    for mid in _applied_ids(conn):
        if mid in on_disk and ("versioned", mid) not in recorded:
            _record(conn, "versioned", mid, files.checksum(on_disk[mid]))


def _record(conn: psycopg.Connection, kind: str, name: str, checksum: str) -> None:
    conn.execute(
        f"insert into {SCHEMA}.checksums (kind, name, checksum) values (%s, %s, %s) "
        "on conflict (kind, name) do update set checksum = excluded.checksum, applied_at = now()",
        (kind, name, checksum),
    )


def _recorded(conn: psycopg.Connection) -> dict[tuple[str, str], str]:
    if not _exists(conn, f"{SCHEMA}.checksums"):
        return {}
    return {(k, n): c for k, n, c in conn.execute(f"select kind, name, checksum from {SCHEMA}.checksums")}


def _applied_ids(conn: psycopg.Connection) -> list[str]:
    if not _exists(conn, f"{SCHEMA}.{MIGRATION_TABLE}"):
        return []
    rows = conn.execute(f"select migration_id from {SCHEMA}.{MIGRATION_TABLE} order by applied_at_utc, migration_id")
    return [row[0] for row in rows]


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def _choose_rollback(applied: list, count: int | None, to: str | None) -> list:
    """`applied` is newest first, as yoyo's to_rollback gives it."""
    if count is not None and to is not None:
        raise ConfigError("rollback takes --count or --to, not both")
    if to is not None:
        ids = [m.id for m in applied]
        if to not in ids:
            raise ConfigError(f"--to {to}: no applied migration has that id (applied: {', '.join(reversed(ids)) or 'none'})")
        return applied[: ids.index(to)]
    count = 1 if count is None else count
    if count < 0:
        raise ConfigError(f"--count must be 0 or more, got {count}")
    return applied[:count]


def _rel(project: Project, path: str | Path) -> str:
    try:
        return Path(path).resolve().relative_to(project.root).as_posix()
    except ValueError:
        return str(path)
