"""`supakit db reset | diff`: the local database, as the migrations make it and as it differs."""

from __future__ import annotations

import time

import typer

from ..errors import ConfigError
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


@db_app.command()
def diff(
    file: str = typer.Option(None, "--file", "-f", help="write the diff as the next migration named FILE (policies and functions to the repeatable files)"),
) -> None:
    """What was changed by hand in the local database, against what the migrations produce."""
    from ..lint import LintConfig, lint_paths
    from ..lint.output import render
    from ..migrate import diff as differ
    from ..testing import databases

    proj = project()
    stack = Stack(proj)
    if not stack.state_file.exists() or not stack.running()["postgres"]:
        raise ConfigError("the local stack is not running: `supakit up` first (diff compares its database)")
    server = stack.server
    shadow = differ.build_shadow(server, proj, stack.state.authenticator_password)
    try:
        text = differ.diff_databases(server, shadow, "postgres")
    finally:
        databases.drop(server, shadow)
    if not text.strip():
        typer.echo("no changes: the local database is what the migrations make", err=True)
        return
    if file is None:
        typer.echo(text, nl=False)
        return
    parts = differ.split(text, with_repeatables=proj.functions is not None and proj.policies is not None)
    written = differ.write_split(proj, file, parts)
    for path in written:
        if path.name.endswith(".rollback.sql"):
            kind = "rollback stub: write the undo"
        elif path.parent == proj.migrations:
            kind = "migration"
        else:
            kind = "repeatable file: policies and functions live there, re-applied when changed"
        typer.echo(f"wrote {path.relative_to(proj.root)}: {kind}")
    findings, checked = lint_paths(written, LintConfig(rollbacks=proj.settings.rollbacks))
    typer.echo(render("human", findings, checked) if findings else f"lint: {checked} files, no findings")
