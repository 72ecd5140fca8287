"""The SQL files of a project: versioned migrations, repeatables, and `new`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ConfigError
from ..project import Project

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# The Supabase CLI's naming: a 14-digit UTC timestamp (YYYYMMDDHHMMSS).
TIMESTAMP_NAME = re.compile(r"^(\d{14})_(.+)\.sql$")
ROLLBACK_SUFFIX = ".rollback.sql"


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Repeatable:
    """A file under sql/functions or sql/policies, keyed by its project-relative path."""

    key: str
    path: Path

    @property
    def checksum(self) -> str:
        return checksum(self.path)


def repeatables(project: Project) -> list[Repeatable]:
    """Functions before policies (policies call functions); by file name within each."""
    found = []
    for directory in (project.functions, project.policies):
        if directory is not None and directory.is_dir():
            for path in sorted(directory.glob("*.sql")):
                found.append(Repeatable(path.relative_to(project.root).as_posix(), path))
    return found


def versioned_files(project: Project) -> dict[str, Path]:
    """Migration id (yoyo's: the file name without `.sql`) -> apply file."""
    return {
        path.name[: -len(".sql")]: path
        for path in sorted(project.migrations.glob("*.sql") if project.migrations.is_dir() else [])
        if not path.name.endswith(ROLLBACK_SUFFIX)
    }


def naming(project: Project) -> str:
    """`timestamp` where the project's migrations use the Supabase CLI's names (or its
    layout has none yet), else `number` (NNNN_)."""
    names = [path.name for path in versioned_files(project).values()]
    if any(TIMESTAMP_NAME.match(name) for name in names):
        return "timestamp"
    if any(MIGRATION_NAME.match(name) for name in names):
        return "number"
    return "timestamp" if project.settings.layout == "supabase" else "number"


def next_id(project: Project, slug: str, now: datetime | None = None) -> str:
    existing = versioned_files(project)
    if naming(project) == "timestamp":
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d%H%M%S")
        newest = max((TIMESTAMP_NAME.match(p.name).group(1) for p in existing.values() if TIMESTAMP_NAME.match(p.name)), default="")
        if stamp <= newest:  # never sort before a migration that exists (clock skew, same second)
            stamp = f"{int(newest) + 1:014d}"
        return f"{stamp}_{slug}"
    numbers = [int(m.group(1)) for m in (MIGRATION_NAME.match(p.name) for p in existing.values()) if m]
    return f"{max(numbers, default=0) + 1:04d}_{slug}"


def new_migration(project: Project, name: str) -> tuple[Path, Path | None]:
    """Write the next migration (named as the project names them) and, where the layout
    keeps rollbacks, its rollback file; the new one depends on the newest migration."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not slug:
        raise ConfigError(f"migration name {name!r} has no letters or digits")
    existing = versioned_files(project)
    migration_id = next_id(project, slug)
    project.migrations.mkdir(parents=True, exist_ok=True)
    forward = project.migrations / f"{migration_id}.sql"
    depends = f"-- depends: {max(existing)}\n" if existing else ""
    forward.write_text(
        f"-- {migration_id}: {name.strip()}\n{depends}"
        "-- Schema-qualify every name; enable RLS on every table you create here.\n\n"
    )
    if not project.settings.rollbacks:
        return forward, None
    backward = project.migrations / f"{migration_id}{ROLLBACK_SUFFIX}"
    backward.write_text(f"-- Undo {migration_id}: drop what it created, in reverse order.\n\n")
    return forward, backward
