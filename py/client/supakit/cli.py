"""The `supakit` command: each group of sub-commands lives in `supakit.commands`."""

from __future__ import annotations

import importlib

import typer

from .errors import SupakitError

app = typer.Typer(
    help="Supabase-native PostgREST companion: local stack, SQL-first migrations, lint, doctor.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Each module defines `register(app)`; listed here so `supakit --help` is complete.
COMMAND_MODULES: tuple[str, ...] = ("stack", "migrations")

for _name in COMMAND_MODULES:
    importlib.import_module(f"supakit.commands.{_name}").register(app)


def main() -> None:
    """Entry point that turns supakit's own errors into one line and exit status 1."""
    try:
        app()
    except SupakitError as exc:
        typer.echo(f"supakit: {exc}", err=True)
        raise SystemExit(1) from None
