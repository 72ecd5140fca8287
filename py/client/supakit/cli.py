"""The `supakit` command: each group of sub-commands lives in `supakit.commands`."""

from __future__ import annotations

import importlib

import typer

from .errors import SupakitError, first_line

app = typer.Typer(
    help="Supabase-native PostgREST companion: local stack, SQL-first migrations, lint, doctor.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Each module defines `register(app)`; listed here so `supakit --help` is complete.
COMMAND_MODULES: tuple[str, ...] = ("init", "stack", "db", "migrations", "backfill", "lint", "doctor", "gen", "sqltest")



def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"supakit {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print supakit's version and exit"),
) -> None:
    """Supabase-native PostgREST companion: local stack, SQL-first migrations, lint, doctor."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"supakit.commands.{_name}").register(app)


def main() -> None:
    """Entry point that turns supakit's own and the database's errors into one line and exit status 1."""
    import psycopg

    try:
        app()
    except SupakitError as exc:
        _fail(str(exc))
    except psycopg.OperationalError as exc:
        _fail(_connection_failure(exc))
    except psycopg.Error as exc:
        _fail(f"database error: {first_line(exc)}")


def _connection_failure(exc: Exception) -> str:
    """One line naming the database (without its password) and why it refused."""
    from .commands.common import resolved_url
    from .dburl import unreachable

    if resolved_url is None:
        return f"cannot connect to the database: {first_line(exc)}"
    return str(unreachable(resolved_url, exc))


def _fail(message: str) -> None:
    typer.echo(f"supakit: {message}", err=True)
    raise SystemExit(1)

