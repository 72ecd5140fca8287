"""`supakit init [DIR]`: a project to commit, or the template's newer version brought in."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import LAYOUTS
from ..scaffold import MANIFEST, init_project


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    directory: Path = typer.Argument(Path("."), help="the project's root (default: here)"),
    template: str = typer.Option(None, "--template", help="also write a schema to extend: saas (the multi-tenant schema)"),
    layout: str = typer.Option(None, "--layout", help=f"{' or '.join(LAYOUTS)} (default: detected; supabase when supabase/ exists)"),
) -> None:
    """Write the config, SQL directories, a seed file and a first test; never overwrites a file.

    Run again with --template after upgrading supakit: new migrations are added, repeatable
    files you did not change are updated, and for the ones you changed the difference is shown.
    """
    result = init_project(directory, template, layout)
    for label, names in (("created", result.created), ("appended to", result.appended), ("updated", result.updated)):
        for name in names:
            typer.echo(f"{label} {name}")
    for name in result.kept:
        if name in result.diffs:
            typer.echo(f"kept {name}: you changed it; supakit's newer version differs:")
            typer.echo(result.diffs[name], nl=False)
        else:
            typer.echo(f"kept {name}: a migration is never rewritten (yours differs from the template's)")
    if template and not (result.created or result.updated or result.kept):
        typer.echo(f"the {template} template is up to date ({MANIFEST})")
    typer.echo(f"supakit project ({result.layout} layout) in {directory.resolve()}: next, `supakit up` and `pytest`")
