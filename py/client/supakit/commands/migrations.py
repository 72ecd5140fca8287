"""`supakit migrate | rollback | new`: the SQL-first migrator."""

from __future__ import annotations

import psycopg
import typer

from ..stack.bootstrap import apply_bootstrap
from ..migrate import migrate as run_migrate
from ..migrate import new_migration
from ..migrate import rollback as run_rollback
from .common import DATABASE_URL_HELP, bootstrap_url, database_url, emit_json, project


def register(app: typer.Typer) -> None:
    app.command()(migrate)
    app.command()(rollback)
    app.command()(new)


def migrate(
    database_url_option: str = typer.Option(None, "--database-url", help=DATABASE_URL_HELP),
    bootstrap: bool = typer.Option(True, "--bootstrap/--no-bootstrap", help="apply the Supabase compat bootstrap first (skipped on Supabase)"),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Apply pending migrations, then the functions and policies whose text changed."""
    proj = project()
    url = database_url(database_url_option, proj)
    if bootstrap:
        with psycopg.connect(bootstrap_url(database_url_option, proj), autocommit=True) as conn:
            apply_bootstrap(conn)
    result = run_migrate(url, proj, on_wait=lambda message: typer.echo(message, err=True))
    if json_output:
        emit_json({"applied": result.applied, "repeatables": result.repeatables, "warnings": result.warnings})
        return
    for name in result.applied:
        typer.echo(f"applied {name}")
    for name in result.repeatables:
        typer.echo(f"re-applied {name}")
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if not result.changed:
        typer.echo("nothing to do: the database is up to date")


def rollback(
    database_url_option: str = typer.Option(None, "--database-url", help=DATABASE_URL_HELP),
    count: int = typer.Option(None, "--count", help="how many of the newest migrations (default 1)"),
    to: str = typer.Option(None, "--to", help="roll back every migration applied after this id"),
    all_: bool = typer.Option(False, "--all", help="roll back every applied migration"),
) -> None:
    """Roll back the newest migrations with their .rollback.sql files."""
    proj = project()
    if all_:
        count = 10**9 if count is None and to is None else count
    result = run_rollback(database_url(database_url_option, proj), proj, count=count, to=to)
    for name in result.rolled_back:
        typer.echo(f"rolled back {name}")
    if not result.rolled_back:
        typer.echo("nothing to roll back")
    if result.removed_repeatables:
        typer.echo(f"removed the objects of {len(result.removed_repeatables)} repeatables: `supakit migrate` re-applies them")


def new(name: str = typer.Argument(..., help="what the migration does, e.g. 'add project color'")) -> None:
    """Write the next migration (NNNN_ or a timestamp, as the project names them) and its rollback."""
    proj = project()
    forward, backward = new_migration(proj, name)
    typer.echo(f"created {forward.relative_to(proj.root)}")
    if backward is not None:
        typer.echo(f"created {backward.relative_to(proj.root)}")
