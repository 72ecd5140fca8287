"""The SQL files of a project: versioned migrations, repeatables, and `new`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..project import Project

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
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
        if directory.is_dir():
            for path in sorted(directory.glob("*.sql")):
                found.append(Repeatable(path.relative_to(project.root).as_posix(), path))
    return found


def versioned_files(project: Project) -> dict[str, Path]:
    """Migration id (yoyo's: the file name without `.sql`) -> apply file."""
    return {
        path.name[: -len(".sql")]: path
        for path in sorted(project.migrations.glob("*.sql"))
        if not path.name.endswith(ROLLBACK_SUFFIX)
    }


def new_migration(project: Project, name: str) -> tuple[Path, Path]:
    """Write `NNNN_name.sql` and its rollback, depending on the newest migration."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not slug:
        raise ConfigError(f"migration name {name!r} has no letters or digits")
    existing = versioned_files(project)
    numbers = [int(m.group(1)) for m in (MIGRATION_NAME.match(p.name) for p in existing.values()) if m]
    migration_id = f"{max(numbers, default=0) + 1:04d}_{slug}"
    forward = project.migrations / f"{migration_id}.sql"
    backward = project.migrations / f"{migration_id}{ROLLBACK_SUFFIX}"
    depends = f"-- depends: {max(existing)}\n" if existing else ""
    forward.write_text(
        f"-- {migration_id}: {name.strip()}\n{depends}"
        "-- Schema-qualify every name; enable RLS on every table you create here.\n\n"
    )
    backward.write_text(f"-- Undo {migration_id}: drop what it created, in reverse order.\n\n")
    return forward, backward
