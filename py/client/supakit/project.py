"""Where a supakit project's SQL lives.

A project is a directory holding `sql/migrations`; supakit finds it from
`SUPAKIT_PROJECT_DIR`, else by walking up from the working directory, so the CLI
and the pytest plugin work from any sub-directory of a checkout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def sql(self) -> Path:
        return self.root / "sql"

    @property
    def migrations(self) -> Path:
        return self.sql / "migrations"

    @property
    def functions(self) -> Path:
        return self.sql / "functions"

    @property
    def policies(self) -> Path:
        return self.sql / "policies"

    @property
    def bootstrap(self) -> Path:
        return self.sql / "bootstrap"

    @property
    def state_dir(self) -> Path:
        """Local stack data (`supakit up`), like supabase's `.supabase/`."""
        return self.root / ".supakit"


def find_project(start: Path | None = None) -> Project:
    explicit = os.environ.get("SUPAKIT_PROJECT_DIR")
    if explicit:
        root = Path(explicit).resolve()
        if not (root / "sql" / "migrations").is_dir():
            raise ConfigError(f"SUPAKIT_PROJECT_DIR={explicit} has no sql/migrations directory")
        return Project(root)
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "sql" / "migrations").is_dir():
            return Project(candidate)
    raise ConfigError(
        f"no supakit project found: no sql/migrations in {here} or its parents "
        "(set SUPAKIT_PROJECT_DIR)"
    )
