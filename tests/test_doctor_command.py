"""`supakit doctor`, the command: its output, exit status and flags, with or without a project."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from supakit.commands import doctor as doctor_command

from helpers.cli import app_with


@pytest.fixture
def cli():
    return app_with(doctor_command)


def test_cli_json_and_exit_status(cli, db, supakit_server):
    url = supakit_server.url(db.info.dbname)
    runner = CliRunner()
    result = runner.invoke(cli, ["doctor", "--database-url", url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["error"] == 0

    db.execute("create table public.doctor_notes (id bigint primary key)")
    result = runner.invoke(cli, ["doctor", "--database-url", url, "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    [finding] = [f for f in report["findings"] if f["check"] == "rls-disabled"]
    assert finding["level"] == "error" and finding["object"] == "doctor_notes" and finding["fix"]

    db.execute("alter table public.doctor_notes enable row level security")
    assert runner.invoke(cli, ["doctor", "--database-url", url]).exit_code == 0
    result = runner.invoke(cli, ["doctor", "--database-url", url, "--fail-level", "info"])
    assert result.exit_code == 1 and "rls-enabled-no-policy" in result.output


def test_cli_exposed_schemas_and_bad_level(cli, db, supakit_server):
    url = supakit_server.url(db.info.dbname)
    db.execute("create schema api; create table api.things (id bigint primary key)")
    runner = CliRunner()
    assert runner.invoke(cli, ["doctor", "--database-url", url]).exit_code == 0
    result = runner.invoke(cli, ["doctor", "--database-url", url, "--exposed-schemas", "public, api"])
    assert result.exit_code == 1 and "api.things" in result.output
    result = runner.invoke(cli, ["doctor", "--database-url", url, "--fail-level", "loud"])
    assert result.exit_code == 2 and "--fail-level" in result.output


def test_cli_needs_no_project_with_a_url(cli, db, supakit_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUPAKIT_PROJECT_DIR", raising=False)
    monkeypatch.setenv("SUPAKIT_DATABASE_URL", supakit_server.url(db.info.dbname))
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "0 error, 0 warn" in result.output
