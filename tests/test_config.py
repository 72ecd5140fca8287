"""One configuration: layout defaults, then [tool.supakit], then SUPAKIT_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from supakit.config import Settings, load_settings
from supakit.errors import ConfigError
from supakit.project import find_project, load_project

pytestmark = pytest.mark.backend_independent


def write_pyproject(root: Path, table: str) -> None:
    (root / "pyproject.toml").write_text(f'[project]\nname = "app"\n\n[tool.supakit]\n{table}\n')


def test_defaults_are_the_supakit_layout(tmp_path):
    settings = load_settings(tmp_path, environ={})
    assert settings == Settings()
    assert (settings.migrations, settings.api_port, settings.test_backend) == ("sql/migrations", 54321, "auto")


def test_file_then_environment_then_flags(tmp_path):
    write_pyproject(tmp_path, 'api-port = 60001\ndb-port = 60002\nschemas = ["public", "api"]\ntest-backend = "local"')
    from_file = load_settings(tmp_path, environ={})
    assert (from_file.api_port, from_file.db_port, from_file.schemas, from_file.test_backend) == (
        60001, 60002, ("public", "api"), "local")
    from_env = load_settings(tmp_path, environ={"SUPAKIT_API_PORT": "60011", "SUPAKIT_SCHEMAS": "public"})
    assert (from_env.api_port, from_env.db_port, from_env.schemas) == (60011, 60002, ("public",))
    flagged = from_env.override(api_port=60021, db_port=None)
    assert (flagged.api_port, flagged.db_port) == (60021, 60002)


def test_supabase_cli_layout_is_detected(tmp_path):
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    settings = load_settings(tmp_path, environ={})
    assert settings.layout == "supabase"
    assert (settings.migrations, settings.functions, settings.seed, settings.rollbacks) == (
        "supabase/migrations", None, ("supabase/seed.sql",), False)


def test_explicit_layout_wins_over_detection(tmp_path):
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    write_pyproject(tmp_path, 'layout = "supakit"')
    assert load_settings(tmp_path, environ={}).migrations == "sql/migrations"


@pytest.mark.parametrize(
    ("table", "environ", "message"),
    [
        ("colour = 1", {}, "unknown setting 'colour'"),
        ('api-port = "many"', {}, "api-port must be a port number"),
        ("db-port = 70000", {}, "port 70000 is out of range"),
        ('layout = "rails"', {}, "layout = 'rails'"),
        ('test-backend = "cloud"', {}, "unknown backend 'cloud'"),
        ("", {"SUPAKIT_DB_PORT": "x" * 500}, "SUPAKIT_DB_PORT must be a port number"),
        ("", {"SUPAKIT_TEST_BACKEND": "bogus"}, "unknown backend 'bogus'"),
    ],
)
def test_bad_settings_name_the_setting_and_the_source(tmp_path, table, environ, message):
    write_pyproject(tmp_path, table)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ=environ)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 300  # bad input is never echoed whole


def test_invalid_toml_is_one_clear_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.supakit\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(tmp_path, environ={})


def test_project_is_found_from_a_subdirectory(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPAKIT_PROJECT_DIR", raising=False)
    write_pyproject(tmp_path, 'models = "app/models.py"')
    (tmp_path / "app" / "deep").mkdir(parents=True)
    project = find_project(tmp_path / "app" / "deep")
    assert project.root == tmp_path.resolve()
    assert project.models_path == tmp_path.resolve() / "app" / "models.py"


def test_no_project_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPAKIT_PROJECT_DIR", raising=False)
    with pytest.raises(ConfigError, match="run `supakit init`"):
        find_project(tmp_path)


def test_repeatable_dirs_and_seed_resolve_against_the_root(tmp_path):
    (tmp_path / "sql" / "migrations").mkdir(parents=True)
    (tmp_path / "sql" / "functions").mkdir()
    (tmp_path / "sql" / "seed.sql").write_text("select 1;\n")
    project = load_project(tmp_path)
    assert project.sql_dirs == [tmp_path.resolve() / "sql" / "migrations", tmp_path.resolve() / "sql" / "functions"]
    assert project.seed_files == [tmp_path.resolve() / "sql" / "seed.sql"]
