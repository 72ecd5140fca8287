"""What several commands share: which database, and printing for people or machines."""

from __future__ import annotations

import json
from typing import Any

import typer

from .. import config
from ..dburl import with_dialect
from ..errors import ConfigError
from ..project import Project, find_project

DATABASE_URL_HELP = "database to act on (default: $SUPAKIT_DATABASE_URL, else the local stack's)"


# The database this command acts on, once resolved: `supakit.cli.main` names it (redacted)
# when the connection is refused.
resolved_url: str | None = None


def project() -> Project:
    return find_project()


def optional_project() -> Project | None:
    """The project when there is one: commands given explicit files or URLs need none."""
    try:
        return find_project()
    except ConfigError:
        return None


def database_url(explicit: str | None, proj: Project) -> str:
    """`--database-url`, else `SUPAKIT_DATABASE_URL`, else the local stack if it runs."""
    global resolved_url
    url = explicit or config.env("SUPAKIT_DATABASE_URL")
    if url:
        resolved_url = with_dialect(url, "libpq")
        return resolved_url
    from ..stack import Stack

    stack = Stack(proj)
    if not stack.state_file.exists() or not stack.running()["postgres"]:
        raise ConfigError("no database: pass --database-url, set SUPAKIT_DATABASE_URL, or start the local stack (supakit up)")
    resolved_url = stack.db_url
    return resolved_url


def bootstrap_url(explicit: str | None, proj: Project) -> str:
    """Where the compat bootstrap runs: the given database as given, but the local
    stack as its superuser (`supabase_admin`), since its `postgres` is not one."""
    url = database_url(explicit, proj)
    if explicit or config.env("SUPAKIT_DATABASE_URL"):
        return url
    from ..stack import Stack

    return Stack(proj).admin_url


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))
