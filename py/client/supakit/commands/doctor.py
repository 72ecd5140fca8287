"""`supakit doctor`: check a live database the way Supabase's advisors do."""

from __future__ import annotations


import psycopg
import typer

from .. import config
from ..doctor import CHECKS, Level, diagnose
from ..doctor.report import FORMATS, check_list, failing, render
from ..lint.context import parse_schemas
from .common import DATABASE_URL_HELP, database_url, optional_project, project
from .lint import EXPOSED_HELP


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


def doctor(
    database_url_option: str = typer.Option(None, "--database-url", help=DATABASE_URL_HELP),
    json_output: bool = typer.Option(False, "--json", help="the same as --format json"),
    fmt: str = typer.Option("human", "--format", help=f"output: {', '.join(FORMATS)}"),
    fail_level: str = typer.Option("warn", "--fail-level", help="exit 1 on a finding at this level or above: error, warn or info"),
    exposed_schemas: str = typer.Option(None, "--exposed-schemas", envvar="SUPAKIT_EXPOSED_SCHEMAS", help=EXPOSED_HELP),
    list_checks: bool = typer.Option(False, "--list-checks", help="print every check id and exit"),
    only: list[str] = typer.Option(None, "--check", help="run only this check (repeatable); runs off-by-default checks too"),
) -> None:
    """Find tables without RLS, risky policies and functions, missing indexes; exit 1 at --fail-level."""
    if list_checks:
        typer.echo(check_list())
        return
    try:
        threshold = Level.parse(fail_level)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--fail-level") from None
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r}: use one of {', '.join(FORMATS)}", param_hint="--format")
    unknown = [name for name in only or () if name not in CHECKS]
    if unknown:
        raise typer.BadParameter(f"no check {', '.join(unknown)} (see --list-checks)", param_hint="--check")
    url = _url(database_url_option)
    if exposed_schemas is None:
        proj = optional_project()
        exposed_schemas = ",".join(proj.settings.schemas) if proj is not None else "public"
    with psycopg.connect(url, autocommit=True) as conn:
        findings = diagnose(conn, sorted(parse_schemas(exposed_schemas)), only or None)
    output = render("json" if json_output else fmt, findings)
    if output:
        typer.echo(output)
    if failing(findings, threshold):
        raise typer.Exit(1)


def _url(explicit: str | None) -> str:
    """A given URL needs no project directory: the doctor can check any database."""
    if explicit or config.env("SUPAKIT_DATABASE_URL"):
        return database_url(explicit, None)  # type: ignore[arg-type]  # the project is only for the local stack
    return database_url(None, project())
