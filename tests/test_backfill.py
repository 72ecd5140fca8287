"""`supakit.backfill` and `supakit backfill` on real Postgres: the "backfill, verify"
steps of a zero-downtime migration (docs/zero-downtime.md).

Each test gets its own migrated database (`db`) and a 2,500-row `public.people`
with `name` and the new, still-empty `first_name` / `last_name`. A trigger counts
how often each row was updated, so "did not redo done rows" is observed, not assumed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

import psycopg
import pytest
import typer
from typer.testing import CliRunner

from supakit import cli
from supakit.backfill import BackfillError, Progress, backfill, saved_progress, verify
from supakit.commands import backfill as backfill_command
from supakit.errors import ConfigError

from helpers import ROOT, one
from helpers.cli import app_with


ROWS = 2500
SET_SQL = "first_name = split_part(name, ' ', 1), last_name = substring(name from position(' ' in name) + 1)"
WHERE_SQL = "first_name is null"


@pytest.fixture
def people(db: psycopg.Connection) -> str:
    db.execute(
        f"""
        create table public.people (id bigint generated always as identity primary key, name text not null,
                                    touched int not null default 0);
        insert into public.people (name) select 'First' || g || ' Last ' || g from generate_series(1, {ROWS}) g;
        -- Phase 1 of the zero-downtime sequence: the new columns, nullable.
        alter table public.people add column first_name text, add column last_name text;
        create function public.count_touch() returns trigger language plpgsql as
          $$ begin new.touched := old.touched + 1; return new; end $$;
        create trigger count_touch before update on public.people for each row execute function public.count_touch();
        """
    )
    return "public.people"


@pytest.fixture
def url(supakit_server, db: psycopg.Connection) -> str:
    return supakit_server.url(db.info.dbname)


def touched(db: psycopg.Connection) -> dict[int, int]:
    """touched count -> rows with it."""
    return dict(db.execute("select touched, count(*) from public.people group by 1").fetchall())


# --- the library ------------------------------------------------------------------------------


def test_full_backfill_commits_every_batch(db, url, people):
    watcher = psycopg.connect(url, autocommit=True)
    seen: list[tuple[int, int, int]] = []

    def on_batch(p: Progress) -> None:
        # Another session sees each batch as soon as the callback runs: it is committed.
        seen.append((p.batches, p.rows_updated, one(watcher, "select count(*) from public.people where first_name is not null")))

    try:
        result = backfill(url, people, SET_SQL, WHERE_SQL, batch_size=100, progress=on_batch)
    finally:
        watcher.close()

    assert result.finished and result.batches == 25
    assert result.rows_updated == result.rows_scanned == result.rows_done == ROWS
    assert result.last_key == str(ROWS) and result.resumed_from is None and result.elapsed > 0
    assert seen == [(n, n * 100, n * 100) for n in range(1, 26)]
    assert one(db, "select count(*) from public.people where first_name || ' ' || last_name = name") == ROWS
    assert one(db, "select first_name || '|' || last_name from public.people where id = 7") == "First7|Last 7"
    assert touched(db) == {1: ROWS}
    assert verify(url, people, WHERE_SQL) == 0
    # A finished walk keeps no resume point (the next run re-scans), and its total.
    assert saved_progress(db, result.job) == (None, ROWS)


def test_interrupted_run_resumes_after_the_saved_key(db, url, people):
    first = backfill(db, "people", SET_SQL, WHERE_SQL, batch_size=100, max_batches=3)
    assert not first.finished and first.batches == 3 and first.rows_updated == 300
    assert saved_progress(db, first.job) == ("300", 300)
    assert verify(db, people, WHERE_SQL) == ROWS - 300

    second = backfill(url, people, SET_SQL, WHERE_SQL, batch_size=100)
    assert second.job == first.job  # "people" and "public.people" are the same job
    assert second.resumed_from == "300" and second.finished
    assert second.rows_scanned == ROWS - 300  # started at the saved key, not from the start
    assert second.rows_updated == ROWS - 300 and second.rows_done == ROWS
    assert touched(db) == {1: ROWS}  # no row updated twice
    assert saved_progress(db, first.job) == (None, ROWS)
    assert verify(url, people, WHERE_SQL) == 0


def test_a_failing_callback_interrupts_and_the_where_predicate_still_resumes(db, url, people):
    def stop_at_batch_4(p: Progress) -> None:
        if p.batches == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backfill(url, people, SET_SQL, WHERE_SQL, batch_size=100, progress=stop_at_batch_4, job="split-name")
    assert saved_progress(db, "split-name") == ("400", 400)
    # With the saved key ignored, the where predicate alone keeps done rows done.
    again = backfill(url, people, SET_SQL, WHERE_SQL, batch_size=100, job="split-name", restart=True)
    assert again.resumed_from is None and again.rows_scanned == ROWS
    assert again.rows_updated == ROWS - 400 and again.rows_done == ROWS - 400  # restart resets the total
    assert touched(db) == {1: ROWS}


def test_restart_after_a_finished_run_changes_nothing(db, url, people):
    backfill(url, people, SET_SQL, WHERE_SQL, batch_size=500)
    db.execute("update public.people set first_name = null, last_name = null where id in (5, 2400)")  # an old app wrote these
    rerun = backfill(url, people, SET_SQL, WHERE_SQL, batch_size=500)
    assert rerun.resumed_from is None and rerun.rows_scanned == ROWS and rerun.rows_updated == 2
    assert rerun.rows_done == ROWS + 2
    restarted = backfill(url, people, SET_SQL, WHERE_SQL, batch_size=500, restart=True)
    assert restarted.rows_updated == 0 and restarted.rows_done == 0
    assert verify(url, people, WHERE_SQL) == 0


def test_verify_counts_rows_still_needing_backfill(db, url, people):
    assert verify(url, people, WHERE_SQL) == ROWS
    db.execute("update public.people set first_name = 'x' where id <= 10")
    assert verify(db, "people", WHERE_SQL) == ROWS - 10
    assert verify(url, people, "first_name is null or last_name is null") == ROWS


def test_uuid_keys_and_mixed_case_names_are_quoted(db, url):
    db.execute(
        'create schema "Billing"; create table "Billing"."Invoices" (ref uuid primary key default gen_random_uuid(),'
        ' amount_cents int, "Amount" numeric);'
        'insert into "Billing"."Invoices" (amount_cents) select g from generate_series(1, 250) g'
    )
    result = backfill(url, "Billing.Invoices", '"Amount" = amount_cents / 100.0', '"Amount" is null', key="ref", batch_size=40)
    assert result.finished and result.rows_updated == 250 and result.batches == 7
    assert verify(url, "Billing.Invoices", '"Amount" is null') == 0
    db.execute('update "Billing"."Invoices" set "Amount" = null where amount_cents % 3 = 0')  # '%' in a fragment is SQL
    part = backfill(url, "Billing.Invoices", '"Amount" = amount_cents / 100.0', '"Amount" is null and amount_cents % 3 = 0',
                    key="ref", batch_size=40, max_batches=2, job="inv")
    rest = backfill(url, "Billing.Invoices", '"Amount" = amount_cents / 100.0', '"Amount" is null and amount_cents % 3 = 0',
                    key="ref", batch_size=40, job="inv")
    assert rest.resumed_from == part.last_key and part.rows_updated + rest.rows_updated == 83
    assert part.rows_scanned + rest.rows_scanned == 250


@pytest.mark.parametrize(
    ("table", "key", "set_sql", "message"),
    [
        ("nope", "id", SET_SQL, "table nope does not exist"),
        ("public.nope", "id", SET_SQL, "table public.nope does not exist"),
        ("a.b.c", "id", SET_SQL, "table 'a.b.c': expected name or schema.name"),
        ("public.people", "nope", SET_SQL, "key column nope does not exist in public.people"),
        ("public.people", "name", SET_SQL, "key column name of public.people has no unique index of its own"),
        ("public.people", "id", "frist_name = name", 'column "frist_name" of relation "people" does not exist'),
    ],
)
def test_bad_targets_are_one_line_config_errors(url, people, table, key, set_sql, message):
    with pytest.raises(ConfigError) as caught:
        backfill(url, table, set_sql, WHERE_SQL, key=key)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_bad_where_in_verify_is_a_config_error(url, people):
    with pytest.raises(ConfigError, match="verify of public.people: where does not run: .*no_such_column"):
        verify(url, people, "no_such_column is null")


def test_a_held_row_lock_fails_the_batch_fast_and_keeps_earlier_batches(db, url, people):
    holder = psycopg.connect(url)
    try:
        holder.execute("select 1 from public.people where id = 250 for update")  # an app transaction left open
        started = time.monotonic()
        with pytest.raises(BackfillError) as caught:
            backfill(url, people, SET_SQL, WHERE_SQL, batch_size=100, lock_timeout=0.2, job="locked")
        assert time.monotonic() - started < 5
    finally:
        holder.close()
    message = str(caught.value)
    assert "gave up after lock_timeout 0.2s waiting for a lock held by another transaction" in message
    assert "progress saved: 200 rows done, re-run to resume after key 200 (job locked)" in message
    assert "\n" not in message
    assert saved_progress(db, "locked") == ("200", 200)
    assert one(db, "select count(*) from public.people where first_name is not null") == 200
    resumed = backfill(url, people, SET_SQL, WHERE_SQL, batch_size=100, job="locked")
    assert resumed.resumed_from == "200" and resumed.rows_done == ROWS and touched(db) == {1: ROWS}


def test_one_job_runs_once_at_a_time(db, url, people):
    started, release = threading.Event(), threading.Event()

    def slow(p: Progress) -> None:
        started.set()
        release.wait(10)

    worker = threading.Thread(target=backfill, args=(url, people, SET_SQL, WHERE_SQL),
                              kwargs={"batch_size": 100, "progress": slow, "max_batches": 1, "job": "solo"})
    worker.start()
    try:
        assert started.wait(10)
        with pytest.raises(BackfillError, match="backfill job solo is already running in another session"):
            backfill(url, people, SET_SQL, WHERE_SQL, job="solo")
    finally:
        release.set()
        worker.join(10)


def test_a_connection_inside_a_transaction_is_refused(url, people):
    with psycopg.connect(url) as conn:
        conn.execute("select 1")
        with pytest.raises(ConfigError, match="no open transaction"):
            backfill(conn, people, SET_SQL, WHERE_SQL)


# --- the command --------------------------------------------------------------------------------


def command_app() -> typer.Typer:
    return app_with(backfill_command)


def test_command_prints_progress_and_verifies(db, url, people):
    runner = CliRunner()
    args = ["backfill", "people", "--set", SET_SQL, "--where", WHERE_SQL, "--batch-size", "1000", "--database-url", url]
    result = runner.invoke(command_app(), args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("batch 1: 1000 rows updated this run (1000 in all), 1000 scanned, last key 1000, ")
    assert lines[2].startswith("batch 3: 2500 rows updated this run (2500 in all), 2500 scanned, last key 2500, ")
    assert lines[3].startswith("finished: 2500 rows updated in 3 batches from the start in ")
    assert lines[4] == "verified: no rows of public.people match --where"


def test_command_exits_1_when_rows_are_left(db, url, people):
    result = CliRunner().invoke(command_app(), [
        "backfill", "public.people", "--set", SET_SQL, "--where", WHERE_SQL,
        "--batch-size", "100", "--max-batches", "2", "--job", "cli", "--database-url", url,
    ])
    assert result.exit_code == 1
    assert "stopped: 200 rows updated in 2 batches from the start" in result.output
    assert "supakit: 2300 rows still need backfill (re-run to resume)" in result.output


def supakit_cli(*args: str, url: str) -> subprocess.CompletedProcess:
    """`python -m supakit ...`; until cli.py lists "backfill", the same entry point with it registered."""
    if "backfill" in cli.COMMAND_MODULES:
        command = [sys.executable, "-m", "supakit", *args]
    else:
        command = [sys.executable, "-c",
                   "import sys; from supakit import cli; from supakit.commands import backfill;"
                   " backfill.register(cli.app); sys.argv[0] = 'supakit'; cli.main()", *args]
    env = {**os.environ, "SUPAKIT_DATABASE_URL": url, "SUPAKIT_PROJECT_DIR": str(ROOT)}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_cli_in_a_subprocess_resumes_and_reports_errors_in_one_line(db, url, people):
    partial = supakit_cli("backfill", "people", "--set", SET_SQL, "--where", WHERE_SQL,
                          "--batch-size", "500", "--max-batches", "1", url=url)
    assert partial.returncode == 1 and "supakit: 2000 rows still need backfill" in partial.stderr
    done = supakit_cli("backfill", "people", "--set", SET_SQL, "--where", WHERE_SQL, "--batch-size", "500", url=url)
    assert done.returncode == 0, done.stderr
    assert "finished: 2000 rows updated in 4 batches after key 500" in done.stdout
    assert touched(db) == {1: ROWS}

    bad = supakit_cli("backfill", "public.people", "--key", "nope", "--set", SET_SQL, "--where", WHERE_SQL, url=url)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "supakit: key column nope does not exist in public.people"


# --- docs/zero-downtime.md, run -------------------------------------------------------------


def doc_migrations() -> dict[str, str]:
    """The forward migration files the doc shows, by name, in the doc's order."""
    text = (ROOT / "docs" / "zero-downtime.md").read_text()
    blocks = re.findall(r"```sql\n-- sql/migrations/(\S+)\n(.*?)```", text, re.S)
    return {name: body for name, body in blocks if not name.endswith(".rollback.sql")}


def apply_file(conn: psycopg.Connection, body: str) -> None:
    with conn.transaction():  # one transaction per file, as the migrator applies it
        conn.execute(body)


def test_the_documented_sequence_runs(db, url):
    files = doc_migrations()
    assert list(files) == [
        "0007_add_first_and_last_name.sql", "0008_check_first_and_last_name.sql",
        "0009_require_first_and_last_name.sql", "0010_drop_customer_name.sql",
    ]
    doc = (ROOT / "docs" / "zero-downtime.md").read_text()
    assert f'--set "{SET_SQL}"' in doc and f'--where "{WHERE_SQL}"' in doc
    db.execute(
        "create table public.customers (id bigint generated always as identity primary key, name text not null);"
        "insert into public.customers (name) select 'Ada' || g || ' Lovelace' from generate_series(1, 300) g"
    )
    apply_file(db, files["0007_add_first_and_last_name.sql"])
    assert backfill(url, "public.customers", SET_SQL, WHERE_SQL, batch_size=50).rows_updated == 300
    assert verify(url, "public.customers", WHERE_SQL) == 0

    apply_file(db, files["0008_check_first_and_last_name.sql"])
    with pytest.raises(psycopg.errors.CheckViolation):  # enforced for new writes already
        db.execute("insert into public.customers (name) values ('Only Name')")

    notices: list[str] = []
    db.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    db.execute("set client_min_messages = debug1")
    apply_file(db, files["0009_require_first_and_last_name.sql"])
    db.execute("reset client_min_messages")
    # set not null took the validated checks as proof instead of scanning again
    assert sum("sufficient to prove that it does not contain nulls" in n for n in notices) == 2, notices
    assert one(db, "select count(*) from pg_constraint where conrelid = 'public.customers'::regclass and contype = 'c'") == 0
    db.execute("insert into public.customers (first_name, last_name) values ('Grace', 'Hopper')")  # new-only writes work

    apply_file(db, files["0010_drop_customer_name.sql"])
    assert one(db, "select count(*) from information_schema.columns where table_name = 'customers' and column_name = 'name'") == 0
    assert one(db, "select count(*) from public.customers where first_name is not null and last_name is not null") == 301
