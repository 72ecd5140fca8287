"""The committed row models are what `supakit gen models` makes of the migrated schema."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from supakit.client import codegen, models
from supakit.commands import gen

from helpers.cli import app_with


def test_committed_models_match_the_migrated_schema(db):
    generated = codegen.generate(db)
    committed = codegen.MODELS_PATH.read_text()
    assert generated == committed, (
        "supakit/client/models.py is out of date with the migrated schema: run `supakit gen models`"
    )


def test_generation_is_deterministic(db):
    assert codegen.generate(db) == codegen.generate(db)


def test_every_exposed_table_view_and_table_function_has_a_model(db):
    relations = {row[0] for row in db.execute(
        "select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v')"
    )}
    functions = {row[0] for row in db.execute(
        "select proname from pg_proc where pronamespace = 'public'::regnamespace and proretset and 't' = any(proargmodes)"
    )}
    assert relations | functions == set(models.ROWS)


def test_a_new_column_is_drift(db):
    db.execute("alter table public.projects add column color text")
    text = codegen.generate(db)
    assert text != codegen.MODELS_PATH.read_text()
    assert "    color: str | None = None" in text


def test_names_that_clash_with_pydantic_or_python_get_aliases(db):
    db.execute('create table public.odd_names (id int primary key, "json" text, "class" text not null, "two words" int)')
    text = codegen.generate(db)
    assert "class OddName(Row):" in text
    assert '    json_: str | None = Field(default=None, alias="json")' in text
    assert '    class_: str = Field(alias="class")' in text
    assert '    two_words_: int | None = Field(default=None, alias="two words")' in text
    namespace: dict = {}
    exec(compile(text, "models.py", "exec"), namespace)
    row = namespace["OddName"].model_validate({"id": 1, "json": "j", "class": "c", "two words": 2})
    assert (row.json_, row.class_, row.two_words_) == ("j", "c", 2)


def test_rows_parse_what_the_api_returns():
    project = models.Project.model_validate({
        "id": "7f1d3f3c-5b1e-4c61-9a57-2d1f1f6f2b10", "name": "P", "organization_id": "0b9d7b86-8d58-44f6-b3e5-5b6f6d5e9c11",
        "deleted_at": None, "deleted_by": None, "created_at": "2025-01-01T00:00:00.123456+00:00",
        "updated_at": "2025-01-01T00:00:00.123456+00:00", "a_column_added_later": 1,
    })
    assert project.created_at.microsecond == 123456 and project.deleted_at is None
    assert models.ActiveProject is models.Project is models.TrashedProject
    assert models.Profile.model_validate({
        "id": "7f1d3f3c-5b1e-4c61-9a57-2d1f1f6f2b10", "email": "a@b.c", "role": "viewer",
        "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
    }).role == models.UserRole.viewer == "viewer"


def _app() -> typer.Typer:
    return app_with(gen)


def test_gen_models_command_writes_and_checks(db, supakit_server, database, tmp_path):
    url = supakit_server.url(database)
    target = tmp_path / "models.py"
    runner = CliRunner()
    checked = runner.invoke(_app(), ["gen", "models", "--check", "--database-url", url, "-o", str(target)])
    assert checked.exit_code == 1 and "out of date" in checked.output
    wrote = runner.invoke(_app(), ["gen", "models", "--database-url", url, "-o", str(target)])
    assert wrote.exit_code == 0, wrote.output
    assert target.read_text() == codegen.MODELS_PATH.read_text()
    again = runner.invoke(_app(), ["gen", "models", "--check", "--database-url", url, "-o", str(target)])
    assert again.exit_code == 0 and "matches" in again.output
