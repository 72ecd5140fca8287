"""Where a supakit project lives and what it holds.

A project is a directory with a `[tool.supakit]` table in its `pyproject.toml`,
or supakit's `sql/migrations`, or the Supabase CLI's `supabase/migrations`.
supakit finds it from `SUPAKIT_PROJECT_DIR`, else by walking up from the working
directory, so the CLI and the pytest plugin work from any sub-directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import config
from .config import Settings, detect_layout, has_table, load_settings
from .errors import ConfigError


@dataclass(frozen=True)
class Project:
    root: Path
    settings: Settings = field(default_factory=Settings)

    def _path(self, relative: str | None) -> Path | None:
        return None if relative is None else self.root / relative

    @property
    def migrations(self) -> Path:
        return self.root / self.settings.migrations

    @property
    def functions(self) -> Path | None:
        return self._path(self.settings.functions)

    @property
    def policies(self) -> Path | None:
        return self._path(self.settings.policies)

    @property
    def sql_dirs(self) -> list[Path]:
        """What `lint` checks by default: migrations, then the repeatables."""
        return [p for p in (self.migrations, self.functions, self.policies) if p is not None and p.is_dir()]

    @property
    def seed_files(self) -> list[Path]:
        return [self.root / name for name in self.settings.seed if (self.root / name).is_file()]

    @property
    def sql_test_dirs(self) -> list[Path]:
        return [self.root / name for name in self.settings.sql_tests]

    def is_sql_test(self, path: Path) -> bool:
        """Whether `path` is a pgTAP file of this project (a .sql file under `sql-tests`)."""
        resolved = path.resolve()
        return resolved.suffix == ".sql" and any(resolved.is_relative_to(d.resolve()) for d in self.sql_test_dirs)

    @property
    def state_dir(self) -> Path:
        """Local stack data (`supakit up`), like supabase's `.supabase/`: never committed."""
        return self.root / self.settings.state_dir

    @property
    def models_path(self) -> Path:
        return self.root / self.settings.models

    @property
    def timestamped(self) -> bool:
        """New migrations are named by a 14-digit timestamp, as the Supabase CLI names them."""
        from .migrate.files import naming

        return naming(self) == "timestamp"


def is_project_dir(path: Path) -> bool:
    return (
        has_table(path)
        or (path / "sql" / "migrations").is_dir()
        or (path / "supabase" / "migrations").is_dir()
        or (path / "supabase" / "config.toml").is_file()
    )


def load_project(root: Path) -> Project:
    """The project at `root`, its settings read once (file, then environment)."""
    root = root.resolve()
    return Project(root, load_settings(root))


def find_project(start: Path | None = None) -> Project:
    explicit = config.env("SUPAKIT_PROJECT_DIR")
    if explicit:
        root = Path(explicit).resolve()
        if not is_project_dir(root):
            raise ConfigError(
                f"SUPAKIT_PROJECT_DIR={explicit} is not a supakit project "
                "(no [tool.supakit] in pyproject.toml, no sql/migrations, no supabase/migrations)"
            )
        return load_project(root)
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if is_project_dir(candidate):
            return load_project(candidate)
    raise ConfigError(
        f"no supakit project found in {here} or its parents: run `supakit init` here "
        "(or set SUPAKIT_PROJECT_DIR)"
    )


__all__ = ["Project", "detect_layout", "find_project", "is_project_dir", "load_project"]
