"""`supakit lint [PATHS]`: the safe-migration lint."""

from __future__ import annotations

from pathlib import Path

import typer

from ..lint import LintConfig, lint_paths
from ..lint.context import parse_schemas
from ..lint.output import FORMATS, render, rule_list
from .common import optional_project, project

EXPOSED_HELP = "schemas PostgREST exposes, comma-separated (its db-schemas)"


def register(app: typer.Typer) -> None:
    app.command("lint")(lint)


def lint(
    paths: list[Path] = typer.Argument(None, help="SQL files or directories (default: the project's migrations, functions and policies)"),
    fmt: str = typer.Option("human", "--format", help=f"output: {', '.join(FORMATS)}"),
    exposed_schemas: str = typer.Option(None, "--exposed-schemas", envvar="SUPAKIT_EXPOSED_SCHEMAS", help=EXPOSED_HELP),
    list_rules: bool = typer.Option(False, "--list-rules", help="print every rule id and exit"),
) -> None:
    """Check migrations for locks, breaking changes and Supabase security mistakes; exit 1 on findings."""
    if list_rules:
        typer.echo(rule_list())
        return
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r}: use one of {', '.join(FORMATS)}", param_hint="--format")
    proj = project() if not paths else optional_project()
    targets = list(paths) if paths else proj.sql_dirs
    schemas = exposed_schemas or (",".join(proj.settings.schemas) if proj is not None else "public")
    rollbacks = proj.settings.rollbacks if proj is not None else True
    findings, checked = lint_paths(targets, LintConfig(parse_schemas(schemas), rollbacks=rollbacks))
    output = render(fmt, findings, checked)
    if output:
        typer.echo(output)
    if findings:
        raise typer.Exit(1)
