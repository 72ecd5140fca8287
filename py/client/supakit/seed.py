"""Seed data (`sql/seed.sql`, or the Supabase CLI's `supabase/seed.sql`).

Applied after the migrations on a new local database (`supakit up` the first time,
`supakit db reset`) and, unless `test-seed = false`, into the test template, all
files in one transaction: a seed that fails leaves nothing half-written.
"""

from __future__ import annotations

import psycopg

from .errors import SupakitError, first_line
from .project import Project


class SeedError(SupakitError):
    """A seed file failed; nothing of any seed file was kept."""


def apply_seed(url: str, project: Project) -> list[str]:
    """Run the project's seed files in order, as the superuser; the names of those run."""
    ran: list[str] = []
    files = project.seed_files
    if not files:
        return ran
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        for path in files:
            name = path.relative_to(project.root).as_posix()
            text = path.read_text(encoding="utf-8")
            try:
                with conn.transaction():
                    conn.execute(text.encode())  # bytes: no parameter parsing of `%` in seed text
            except psycopg.Error as exc:
                raise SeedError(f"seed {name} failed: {first_line(exc)}") from exc
            ran.append(name)
    return ran
