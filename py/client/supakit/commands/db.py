"""`supakit db reset`: the local database as the migrations and the seed make it."""

from __future__ import annotations

import time

import typer

from ..stack import Stack
from .common import project

db_app = typer.Typer(help="The local database.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command()
def reset() -> None:
    """Drop the local stack's database, then bootstrap, migrate and seed it again."""
    proj = project()
    started = time.monotonic()
    result = Stack(proj).reset()
    seeds = ", ".join(p.relative_to(proj.root).as_posix() for p in proj.seed_files) or "no seed file"
    typer.echo(
        f"reset the local database: {len(result.applied)} migrations, {len(result.repeatables)} repeatables, "
        f"{seeds} ({time.monotonic() - started:.1f} s)"
    )
