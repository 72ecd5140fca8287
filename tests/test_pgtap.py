"""pgTAP files as pytest items: the TAP judged by tap.py, each file in its own database."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from supakit.errors import SupakitError
from supakit.testing.pgtap import parse_tap, run_file, statements

NOTES = """\
create table public.notes (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid() references auth.users (id),
  body text not null check (length(body) <= 1000)
);
alter table public.notes enable row level security;
-- Each user reads and writes only their own notes.
create policy notes_own on public.notes for all to authenticated
  using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
grant select, insert on public.notes to authenticated;
"""

PASSING = """\
begin;
select plan(3);
select tests.rls_enabled('public');
select tests.create_supabase_user('ann');
select tests.create_supabase_user('bob');
select tests.authenticate_as('ann');
insert into public.notes (body) values ('mine');
select is((select count(*)::int from public.notes), 1, 'ann sees her note');
select tests.authenticate_as('bob');
select is_empty($$ select 1 from public.notes $$, 'bob sees none of ann''s notes');
select * from finish();
rollback;
"""

FAILING = """\
begin;
select plan(2);
select ok(true, 'fine');
select is(1 + 1, 3, 'arithmetic as the test wants it');
select * from finish();
rollback;
"""


def test_parse_tap_reads_failures_with_their_diagnostics():
    report = parse_tap(
        "1..3\nok 1 - first\nnot ok 2 - second\n# Failed test 2: \"second\"\n#         have: 1\n"
        "#         want: 2\nnot ok 3 - later # TODO not yet\n"
    )
    assert not report.passed and report.ran == 3 and report.planned == 3
    assert report.failed == ['not ok 2 - second\n# Failed test 2: "second"\n#         have: 1\n#         want: 2']


def test_parse_tap_fails_a_plan_not_kept_and_a_bail_out():
    short = parse_tap("1..3\nok 1 - a\nok 2 - b\n")
    assert not short.passed and "planned 3 tests but ran 2" in short.explain()
    bailed = parse_tap("1..1\nBail out! the database is gone\n")
    assert not bailed.passed and "Bail out! the database is gone" in bailed.explain()
    assert parse_tap("1..1\nok 1 - fine\n").passed


def test_statements_keep_lines_drop_psql_display_commands():
    found = statements("\\set ON_ERROR_STOP 1\nbegin;\n\nselect 1;\n-- a comment\nselect $$ a; b $$;\n")
    assert [(line, text.strip()) for line, text in found] == [
        (2, "begin;"), (4, "select 1;"), (5, "-- a comment\nselect $$ a; b $$;")]
    with pytest.raises(SupakitError, match=r"line 1: psql meta-command \\i"):
        statements("\\i other.sql\n")


@pytest.fixture
def pgtap_template(supakit_session):
    return supakit_session.pgtap_template


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_passing_file_passes(supakit_server, pgtap_template, tmp_path):
    report = run_file(supakit_server, pgtap_template, _write(tmp_path, "ok.sql", "begin;\n" + NOTES + PASSING[7:]))
    assert report.passed, report.explain()
    assert report.ran == 3


def test_a_failing_assertion_reads_like_a_failing_assert(supakit_server, pgtap_template, tmp_path):
    report = run_file(supakit_server, pgtap_template, _write(tmp_path, "bad.sql", FAILING))
    assert not report.passed
    text = report.explain()
    assert "not ok 2 - arithmetic as the test wants it" in text
    assert "have: 2" in text and "want: 3" in text
    assert "not ok 1" not in text


def test_an_error_names_the_line_and_the_statement(supakit_server, pgtap_template, tmp_path):
    report = run_file(
        supakit_server, pgtap_template,
        _write(tmp_path, "err.sql", "begin;\nselect plan(1);\n\nselect no_such_function(1);\nrollback;\n"),
    )
    assert not report.passed
    assert "line 4: function no_such_function(integer) does not exist" in report.explain()
    assert "select no_such_function(1);" in report.explain()


def test_each_file_gets_its_own_database(supakit_server, pgtap_template, tmp_path):
    """A file that commits (no begin/rollback) leaves nothing for the next one."""
    writes = "select plan(1);\ncreate table public.leak (x int);\nselect has_table('public', 'leak', 'made');\n"
    assert run_file(supakit_server, pgtap_template, _write(tmp_path, "a.sql", writes)).passed
    reads = "select plan(1);\nselect hasnt_table('public', 'leak', 'not here');\n"
    assert run_file(supakit_server, pgtap_template, _write(tmp_path, "b.sql", reads)).passed


def test_helpers_act_as_users_and_anon(supakit_server, pgtap_template, tmp_path):
    helpers = textwrap.dedent("""\
        begin;
        select plan(4);
        select tests.create_supabase_user('ann', 'ann@example.test', metadata => '{"name": "Ann"}');
        select tests.authenticate_as('ann');
        select is(auth.uid(), tests.get_supabase_uid('ann'), 'ann is signed in');
        select is(auth.jwt() -> 'user_metadata' ->> 'name', 'Ann', 'her metadata is in the claims');
        select tests.clear_authentication();
        select is(auth.uid(), null, 'anon has no uid');
        select tests.authenticate_as_service_role();
        select is(current_user::text, 'service_role', 'acting as the service role');
        select * from finish();
        rollback;
    """)
    report = run_file(supakit_server, pgtap_template, _write(tmp_path, "helpers.sql", helpers))
    assert report.passed, report.explain()


def _clean_env() -> dict[str, str]:
    """The outer run's environment, less what would make the inner run another's worker;
    the inner project uses this repository's test image (its own config names none)."""
    from supakit.project import load_project

    env = {k: v for k, v in os.environ.items()
           if k not in ("SUPAKIT_PROJECT_DIR", "PYTEST_ADDOPTS") and not k.startswith("PYTEST_XDIST")}
    env.setdefault("SUPAKIT_TEST_IMAGE", load_project(Path(__file__).resolve().parents[1]).settings.test_image)
    return env


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project, env=_clean_env(), capture_output=True, text=True, timeout=300,
    )


def test_a_supabase_cli_project_runs_its_pgtap_files_unchanged(tmp_path):
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "supabase" / "migrations" / "20240101000000_notes.sql").write_text(NOTES)
    (tmp_path / "supabase" / "seed.sql").write_text("-- nothing yet\n")
    tests = tmp_path / "supabase" / "tests" / "database"
    tests.mkdir(parents=True)
    (tests / "notes.test.sql").write_text(PASSING)
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["supabase/tests"]\n')

    passed = _pytest(tmp_path, "-v")
    assert "notes.test.sql::notes.test.sql PASSED" in passed.stdout, passed.stdout + passed.stderr

    (tests / "wrong.test.sql").write_text(FAILING)
    failed = _pytest(tmp_path)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1 and "1 failed" in output and "1 passed" in output
    assert "not ok 2 - arithmetic as the test wants it" in output and "want: 3" in output
    assert "Traceback" not in output

    only_sql = subprocess.run(
        [sys.executable, "-m", "supakit", "test", "-q", "-k", "notes"],
        cwd=tmp_path, env=_clean_env(),
        capture_output=True, text=True, timeout=300,
    )
    assert only_sql.returncode == 0 and "1 passed" in only_sql.stdout, only_sql.stdout + only_sql.stderr


def test_rows_that_are_not_tap_never_count_as_a_plan():
    """tap.py's plan pattern takes `1d61ace7-...` (a user id a helper returns) for `1..1`."""
    report = parse_tap("1d61ace7-5a06-429b-ab93-baf227030d72\n1..1\n113362a2-190e-4d71-92a9-3e2206c74afc\nok 1 - fine\n")
    assert report.passed and report.planned == 1 and report.ran == 1
