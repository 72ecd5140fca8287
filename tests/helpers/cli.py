"""A typer app around some of supakit's commands, for `typer.testing.CliRunner`."""

from __future__ import annotations

from types import ModuleType

import typer


def app_with(*commands: ModuleType) -> typer.Typer:
    """The commands (modules of supakit.commands) as sub-commands, as in supakit's own app."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """supakit"""

    for command in commands:
        command.register(app)
    return app
