"""`supakit test`: only the project's pgTAP files, as `supabase test db` runs them."""

from __future__ import annotations

import typer

from ..errors import ConfigError
from .common import project


def register(app: typer.Typer) -> None:
    app.command("test", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(test)


def test(ctx: typer.Context) -> None:
    """Run the pgTAP files (sql-tests: sql/tests, or supabase/tests) through pytest, each in its
    own migrated database; extra arguments go to pytest (e.g. -k tenancy, -n 2)."""
    import pytest

    proj = project()
    dirs = [str(d) for d in proj.sql_test_dirs if d.is_dir()]
    if not dirs:
        names = ", ".join(proj.settings.sql_tests)
        raise ConfigError(f"no pgTAP directory: none of {names} exists in {proj.root}")
    code = pytest.main([*dirs, "--rootdir", str(proj.root), *ctx.args])
    raise typer.Exit(int(code))
