"""`supakit lint`'s output formats and the command itself (its flags, exit status, project defaults)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from supakit.commands import lint as lint_command
from supakit.lint import RULES, lint_text
from supakit.lint.output import github, human

from helpers.cli import app_with
from helpers.lint import TIMEOUT, write


# --- output and the command ----------------------------------------------------------------------------


def test_output_formats():
    findings = lint_text(TIMEOUT + "alter table public.t drop column a;\n", path="sql/migrations/x,y.sql")
    text = human(findings, 1)
    assert "sql/migrations/x,y.sql:2: drop-column: drops column a of public.t" in text
    assert "why:" in text and "safe:" in text and text.endswith("1 finding in 1 file")
    annotation = github(findings, 1)
    assert annotation.startswith("::error file=sql/migrations/x%2Cy.sql,line=2,title=supakit-lint drop-column::drops column a")
    assert "\n" not in annotation


@pytest.fixture
def cli():
    return app_with(lint_command)


@pytest.fixture
def project(tmp_path, monkeypatch):
    migrations = tmp_path / "sql" / "migrations"
    write(migrations, "0001_notes.sql", "create table public.notes (id bigint primary key);\n")
    write(migrations, "0001_notes.rollback.sql", "set local lock_timeout = '5s';\ndrop table public.notes;\n")
    monkeypatch.setenv("SUPAKIT_PROJECT_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_defaults_to_the_projects_sql_and_exits_1(cli, project):
    result = CliRunner().invoke(cli, ["lint"])
    assert result.exit_code == 1
    assert "sql/migrations/0001_notes.sql:1: table-without-rls" in result.output


def test_cli_json(cli, project):
    result = CliRunner().invoke(cli, ["lint", "sql", "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["files_checked"] == 2
    [finding] = report["findings"]
    assert finding["rule"] == "table-without-rls" and finding["line"] == 1 and finding["why"] and finding["safe"]


def test_cli_github_and_clean_exit(cli, project):
    result = CliRunner().invoke(cli, ["lint", "--format", "github"])
    assert result.exit_code == 1 and result.output.startswith("::error file=sql/migrations/0001_notes.sql,line=1,")
    (project / "sql" / "migrations" / "0001_notes.sql").write_text(
        "create table public.notes (id bigint primary key);\nalter table public.notes enable row level security;\n"
    )
    result = CliRunner().invoke(cli, ["lint"])
    assert result.exit_code == 0 and "no findings in 2 files" in result.output


def test_cli_exposed_schemas_and_errors(cli, project):
    write(project / "sql" / "migrations", "0002_api.sql", "-- supakit-lint: ignore missing-rollback -- test\n"
          "create table api.things (id bigint primary key);\n")
    runner = CliRunner()
    assert "api.things" not in runner.invoke(cli, ["lint", "sql/migrations/0002_api.sql"]).output
    result = runner.invoke(cli, ["lint", "sql/migrations/0002_api.sql"], env={"SUPAKIT_EXPOSED_SCHEMAS": "public,api"})
    assert result.exit_code == 1 and "api.things" in result.output
    assert runner.invoke(cli, ["lint", "--format", "xml"]).exit_code == 2
    result = runner.invoke(cli, ["lint", "nowhere.sql"])
    assert result.exit_code != 0 and "no such file" in str(result.exception)


def test_cli_list_rules(cli):
    result = CliRunner().invoke(cli, ["lint", "--list-rules"])
    assert result.exit_code == 0
    assert all(rule.id in result.output for rule in RULES)
