"""`supakit init`, the saas template and its upgrades, `new`'s naming, and where `gen models` writes."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supakit.cli import app
from supakit.errors import ConfigError
from supakit.migrate.files import new_migration, next_id
from supakit.project import load_project
from supakit.resources import template_files
from supakit.scaffold import MANIFEST, digest, init_project

pytestmark = pytest.mark.backend_independent


def test_init_writes_a_project_to_commit(tmp_path):
    result = init_project(tmp_path)
    for name in ("sql/seed.sql", "tests/test_database.py", "sql/tests/rls_test.sql", "pyproject.toml", ".gitignore",
                 "sql/migrations/README.md"):
        assert name in result.created
    assert (tmp_path / "sql" / "functions").is_dir() and (tmp_path / "sql" / "policies").is_dir()
    assert ".supakit/" in (tmp_path / ".gitignore").read_text().splitlines()
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert data["tool"]["supakit"]["migrations"] == "sql/migrations"
    assert data["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests", "sql/tests"]
    assert load_project(tmp_path).settings.layout == "supakit"


def test_init_adds_to_an_existing_app_without_clobbering(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n')
    (tmp_path / ".gitignore").write_text("node_modules/")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_database.py").write_text("# mine\n")
    result = init_project(tmp_path)
    assert "tests/test_database.py" in result.unchanged
    assert (tmp_path / "tests" / "test_database.py").read_text() == "# mine\n"
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert data["project"]["name"] == "shop" and data["tool"]["pytest"]["ini_options"] == {"addopts": "-q"}
    assert "supakit" in data["tool"]
    assert (tmp_path / ".gitignore").read_text().splitlines()[0] == "node_modules/"
    again = init_project(tmp_path)  # idempotent: nothing appended twice
    assert again.created == [] and again.appended == []


def test_saas_template_writes_the_tenant_schema_as_the_users_own_files(tmp_path):
    result = init_project(tmp_path, template="saas")
    expected = template_files("saas")
    assert set(expected) <= set(result.created)
    assert (tmp_path / "sql/migrations/0001_foundation.sql").read_text() == expected["sql/migrations/0001_foundation.sql"]
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["template"] == "saas" and set(manifest["files"]) == set(expected)
    assert (tmp_path / "tests" / "test_tenancy.py").exists()
    assert (tmp_path / "sql" / "tests" / "tenancy.sql").read_text() == expected["sql/tests/tenancy.sql"]


def test_saas_template_refuses_to_overwrite_files_it_did_not_write(tmp_path):
    (tmp_path / "sql" / "policies").mkdir(parents=True)
    (tmp_path / "sql" / "policies" / "projects.sql").write_text("-- my own policy\n")
    with pytest.raises(ConfigError, match="refusing to overwrite .*sql/policies/projects.sql"):
        init_project(tmp_path, template="saas")
    assert (tmp_path / "sql" / "policies" / "projects.sql").read_text() == "-- my own policy\n"
    assert not (tmp_path / "sql" / "migrations" / "0001_foundation.sql").exists()


def _as_older_release(root: Path) -> tuple[str, str, str]:
    """Make `root` look as an older supakit's template left it, then changed by its user:
    the newest migration not yet shipped, one repeatable at an older text the user kept,
    one repeatable the user edited."""
    files = template_files("saas")
    newest = max(rel for rel in files if rel.startswith("sql/migrations/") and not rel.endswith(".rollback.sql"))
    (root / newest).unlink()
    (root / newest.replace(".sql", ".rollback.sql")).unlink()
    manifest = json.loads((root / MANIFEST).read_text())
    untouched, edited = "sql/functions/010_touch_updated_at.sql", "sql/policies/projects.sql"
    older = files[untouched] + "-- (the older release's text)\n"
    (root / untouched).write_text(older)
    manifest["files"][untouched] = digest(older)
    (root / edited).write_text(files[edited] + "-- the team's own rule\n")
    manifest["version"] = "0.0.9"
    del manifest["files"][newest]
    (root / MANIFEST).write_text(json.dumps(manifest))
    return newest, untouched, edited


def test_template_upgrade_adds_migrations_updates_untouched_and_shows_diffs(tmp_path):
    init_project(tmp_path, template="saas")
    newest, untouched, edited = _as_older_release(tmp_path)
    files = template_files("saas")
    result = CliRunner().invoke(app, ["init", str(tmp_path), "--template", "saas"])
    assert result.exit_code == 0, result.output
    assert f"created {newest}" in result.output
    assert f"updated {untouched}" in result.output
    assert f"kept {edited}: you changed it" in result.output
    assert "--- sql/policies/projects.sql (yours)" in result.output
    assert "\n--- the team's own rule" in result.output  # the diff removes the user's line
    assert (tmp_path / newest).read_text() == files[newest]
    assert (tmp_path / untouched).read_text() == files[untouched]
    assert (tmp_path / edited).read_text().endswith("-- the team's own rule\n")
    # The user's edit stays recognised as theirs on the next upgrade too.
    second = init_project(tmp_path, template="saas")
    assert second.kept == [edited] and second.created == [] and second.updated == []


def test_an_applied_migration_is_never_rewritten_by_an_upgrade(tmp_path):
    init_project(tmp_path, template="saas")
    path = tmp_path / "sql/migrations/0003_organizations.sql"
    path.write_text(path.read_text() + "-- already applied in production, edited\n")
    result = init_project(tmp_path, template="saas")
    assert "sql/migrations/0003_organizations.sql" in result.kept
    assert path.read_text().endswith("edited\n")


def test_the_saas_template_is_not_offered_in_the_supabase_layout(tmp_path):
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    with pytest.raises(ConfigError, match="Supabase CLI layout has no place"):
        init_project(tmp_path, template="saas")


def test_init_in_a_supabase_cli_project_keeps_its_files_where_they_are(tmp_path):
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "supabase" / "seed.sql").write_text("-- theirs\n")
    result = init_project(tmp_path)
    assert result.layout == "supabase"
    assert (tmp_path / "supabase" / "seed.sql").read_text() == "-- theirs\n"
    assert not (tmp_path / "sql").exists()
    assert (tmp_path / "supabase" / "tests" / "rls_test.sql").exists()
    assert load_project(tmp_path).settings.layout == "supabase"
    testpaths = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"]
    assert testpaths == ["tests", "supabase/tests"]


def test_new_follows_the_projects_naming(tmp_path):
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "supabase" / "migrations" / "20240101120000_init.sql").write_text("select 1;\n")
    project = load_project(tmp_path)
    forward, backward = new_migration(project, "Add Color")
    assert re.fullmatch(r"\d{14}_add_color\.sql", forward.name) and backward is None
    assert forward.name > "20240101120000_init.sql"
    # A clock behind the newest migration still sorts after it.
    assert next_id(project, "x", now=datetime(2020, 1, 1, tzinfo=timezone.utc)) > forward.name[:14]

    numbered = tmp_path / "numbered"
    init_project(numbered)
    project = load_project(numbered)
    first, rollback = new_migration(project, "first")
    second, _ = new_migration(project, "second")
    assert (first.name, rollback.name, second.name) == ("0001_first.sql", "0001_first.rollback.sql", "0002_second.sql")
    assert "-- depends: 0001_first" in second.read_text()


def test_version_flag():
    from supakit import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"supakit {__version__}"


def test_gen_models_refuses_to_write_into_an_installed_package(tmp_path):
    import supakit
    from supakit.commands.gen import refuse_installed_package

    project = load_project(tmp_path)
    inside = Path(supakit.__file__).parent / "client" / "models.py"
    with pytest.raises(ConfigError, match="inside the installed supakit package"):
        refuse_installed_package(inside, project)
    assert refuse_installed_package(tmp_path / "models.py", project) == tmp_path / "models.py"
