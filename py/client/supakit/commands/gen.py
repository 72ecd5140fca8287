"""`supakit gen models`: the client's pydantic row models, from a migrated database."""

from __future__ import annotations

from pathlib import Path

import psycopg
import typer

from ..errors import ConfigError
from ..project import Project
from .common import DATABASE_URL_HELP, database_url, project

gen_app = typer.Typer(help="Generate code from the live schema.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(gen_app, name="gen")


@gen_app.command()
def models(
    output: Path = typer.Option(None, "--output", "-o", help="file to write (default: the project's `models` setting, supakit_models.py)"),
    schema: str = typer.Option("public", "--schema", help="the schema PostgREST exposes"),
    check: bool = typer.Option(False, "--check", help="write nothing; exit 1 if the file differs from the schema"),
    database_url_option: str = typer.Option(None, "--database-url", help=DATABASE_URL_HELP),
) -> None:
    """Write a pydantic model per table, view and `returns table` function of the migrated schema."""
    from ..client.codegen import generate

    proj = project()
    path = refuse_installed_package(output or proj.models_path, proj)
    with psycopg.connect(database_url(database_url_option, proj)) as conn:
        text = generate(conn, schema)
    current = path.read_text() if path.exists() else None
    if check:
        if current != text:
            typer.echo(f"supakit: {path} is out of date with the schema: run `supakit gen models`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{path} matches the schema")
        return
    if current == text:
        typer.echo(f"{path} is up to date")
        return
    path.write_text(text)
    typer.echo(f"wrote {path}")


def refuse_installed_package(path: Path, proj: Project) -> Path:
    """Never write into an installed supakit: it would break `import supakit` until a reinstall.
    Writing inside the package is only for a source checkout that is the project itself."""
    import supakit

    package = Path(supakit.__file__).resolve().parent
    target = path.resolve()
    if target.is_relative_to(package) and not package.is_relative_to(proj.root):
        raise ConfigError(
            f"refusing to write {target}: it is inside the installed supakit package; "
            "set `models` in [tool.supakit] (or --output) to a file of your project"
        )
    return path
