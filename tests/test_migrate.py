"""The migrator against a real Postgres: round trips, failures, locks, drift, repeatables."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from supakit.stack.bootstrap import apply_bootstrap
from supakit.migrate import MigrationError, migrate, new_migration, rollback, status
from supakit.migrate.errors import LockTimeout
from supakit.project import Project
from supakit.providers.local import find_bindir
from supakit.testing import databases

from helpers import ROOT, one


REAL = Project(ROOT)


@pytest.fixture
def empty_url(supakit_server):
    """A bootstrapped database with no migration applied: what a new project starts from."""
    name = databases.unique_name("supakit_mig")
    with supakit_server.connect(autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    with supakit_server.connect(name, autocommit=True) as conn:
        apply_bootstrap(conn)
    yield supakit_server.url(name)
    databases.drop(supakit_server, name)


def make_project(tmp_path: Path, migrations: dict[str, str] | None = None, **repeatables: dict[str, str]) -> Project:
    """A project in tmp_path: `migrations` maps file name -> SQL; `functions=`/`policies=` likewise."""
    for sub in ("migrations", "functions", "policies"):
        (tmp_path / "sql" / sub).mkdir(parents=True, exist_ok=True)
    for name, text in (migrations or {}).items():
        (tmp_path / "sql" / "migrations" / name).write_text(text)
    for sub, entries in repeatables.items():
        for name, text in entries.items():
            (tmp_path / "sql" / sub / name).write_text(text)
    return Project(tmp_path)


def real_versioned_only(tmp_path: Path, upto: int | None = None) -> Project:
    """The real migrations (the first `upto` of them) with no repeatables: plain yoyo's view."""
    project = make_project(tmp_path)
    ids = sorted(p.name[:-4] for p in REAL.migrations.glob("*.sql") if not p.name.endswith(".rollback.sql"))
    for mid in ids[:upto]:
        for suffix in (".sql", ".rollback.sql"):
            shutil.copy(REAL.migrations / f"{mid}{suffix}", project.migrations / f"{mid}{suffix}")
    return project


def schema_dump(url: str) -> str:
    """The catalog as pg_dump prints it, without the migrator's own bookkeeping."""
    result = subprocess.run(
        [str(find_bindir() / "pg_dump"), "--schema-only", "--no-owner", "--exclude-schema=supakit_migrations", url],
        capture_output=True, text=True, check=True,
    )
    noise = ("-- Dumped", "\\restrict", "\\unrestrict")  # versions, and pg_dump's per-run random key
    return "\n".join(line for line in result.stdout.splitlines() if not line.startswith(noise))


# -- the real schema ---------------------------------------------------------------


def test_every_migration_round_trips(empty_url, tmp_path):
    """For each migration: apply -> rollback -> apply gives the same catalog; all down leaves nothing."""
    baseline = schema_dump(empty_url)
    count = len([p for p in REAL.migrations.glob("*.sql") if not p.name.endswith(".rollback.sql")])
    assert count >= 6
    for upto in range(1, count + 1):
        project = real_versioned_only(tmp_path / f"p{upto}", upto)
        assert len(migrate(empty_url, project).applied) == 1
        applied = schema_dump(empty_url)
        assert len(rollback(empty_url, project, count=1).rolled_back) == 1
        assert len(migrate(empty_url, project).applied) == 1
        assert schema_dump(empty_url) == applied, f"migration {upto} does not round-trip"
    rolled = rollback(empty_url, project, count=count).rolled_back
    assert len(rolled) == count
    assert schema_dump(empty_url) == baseline


def test_full_project_rolls_back_and_reapplies_repeatables(empty_url):
    baseline = schema_dump(empty_url)
    first = migrate(empty_url, REAL)
    assert first.applied and first.repeatables
    full = schema_dump(empty_url)
    undone = rollback(empty_url, REAL, count=1)
    assert len(undone.rolled_back) == 1 and undone.removed_repeatables == first.repeatables
    assert one(empty_url, "select count(*) from pg_policy") == 0  # tables closed until migrate
    again = migrate(empty_url, REAL)
    assert len(again.applied) == 1 and again.repeatables == first.repeatables
    assert schema_dump(empty_url) == full
    # All the way down: nothing of the project is left, repeatables included.
    rollback(empty_url, REAL, count=len(first.applied))
    assert schema_dump(empty_url) == baseline


def test_generated_objects_are_recorded_and_torn_down(empty_url):
    """What enable_audit and enable_soft_delete make with `execute format(...)` is in
    private.generated_objects; a rollback drops it all (views too), migrate makes it again."""
    migrate(empty_url, REAL)
    listed = "select kind, relation, name from private.generated_objects order by 1, 2, 3"
    with psycopg.connect(empty_url, autocommit=True) as conn:
        generated = conn.execute(listed).fetchall()
    assert ("view", "public.active_projects", "active_projects") in generated
    assert ("trigger", "public.active_projects", "soft_delete") in generated
    assert ("trigger", "public.profiles", "audit_insert") in generated
    for operation in ("insert", "update", "delete"):
        assert ("function", "public.profiles", f"private.audit_{operation}__public__profiles") in generated
    assert len(generated) == 5 * (4 + 3) + 4  # five audited tables (four triggers, three writers), one soft-deletable
    rollback(empty_url, REAL, count=1)
    assert one(empty_url, "select to_regclass('public.active_projects') is null and "
                          "to_regclass('public.trashed_projects') is null")
    assert one(empty_url, "select count(*) from pg_trigger where tgname like 'audit_%'") == 0
    assert one(empty_url, "select count(*) from pg_proc where proname ~ '^audit_(insert|update|delete)__'") == 0
    migrate(empty_url, REAL)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        assert conn.execute(listed).fetchall() == generated


def test_plain_yoyo_applies_the_versioned_migrations(empty_url):
    yoyo_url = empty_url.replace("postgresql://", "postgresql+psycopg://", 1) + "?schema=supakit_migrations"
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("create schema supakit_migrations")
    subprocess.run(["yoyo", "apply", "--batch", "--database", yoyo_url, str(REAL.migrations)], check=True, capture_output=True)
    assert one(empty_url, "select to_regclass('public.audit_logs') is not null")
    # supakit sees what yoyo applied, and adopts it without re-running anything.
    result = migrate(empty_url, REAL)
    assert result.applied == [] and status(empty_url, REAL).pending == []


def test_bookkeeping_is_not_reachable_by_api_roles(empty_url):
    migrate(empty_url, REAL)
    for role in ("anon", "authenticated"):
        assert not one(empty_url, "select has_schema_privilege(%s, 'supakit_migrations', 'usage')", (role,))
    assert one(
        empty_url,
        "select count(*) from information_schema.tables where table_schema = 'public' and table_name like '%yoyo%'",
    ) == 0


# -- failures ----------------------------------------------------------------------


GOOD = "create table public.good (id int primary key);\nalter table public.good enable row level security;\n"
BROKEN = "-- depends: 0001_good\ncreate table public.half (id int);\ninsert into public.nowhere values (1);\n"


def test_broken_migration_leaves_schema_and_bookkeeping_unchanged(empty_url, tmp_path):
    project = make_project(tmp_path, {"0001_good.sql": GOOD, "0001_good.rollback.sql": "drop table public.good;"})
    migrate(empty_url, project)
    before = (schema_dump(empty_url), status(empty_url, project))
    (project.migrations / "0002_broken.sql").write_text(BROKEN)
    with pytest.raises(MigrationError) as caught:
        migrate(empty_url, project)
    message = str(caught.value)
    assert "sql/migrations/0002_broken.sql:3: " in message, "the file and the failing statement's line"
    assert 'relation "public.nowhere" does not exist' in message
    assert "insert into public.nowhere" in message
    assert schema_dump(empty_url) == before[0]
    after = status(empty_url, project)
    assert after.applied == before[1].applied and after.pending == ["0002_broken"]
    assert one(empty_url, "select count(*) from supakit_migrations.checksums where name = '0002_broken'") == 0


def test_broken_repeatable_applies_nothing(empty_url, tmp_path):
    fn_v1 = "create or replace function public.answer() returns int language sql as $$ select 41 $$;\n"
    project = make_project(tmp_path, functions={"a.sql": fn_v1})
    migrate(empty_url, project)
    (project.functions / "a.sql").write_text(fn_v1.replace("41", "42"))
    (project.policies / "b.sql").write_text("create policy p on public.missing for select to authenticated using (true);\n")
    with pytest.raises(MigrationError) as caught:
        migrate(empty_url, project)
    assert "sql/policies/b.sql" in str(caught.value) and "public.missing" in str(caught.value)
    assert one(empty_url, "select public.answer()") == 41  # a.sql's change was rolled back with b.sql
    assert status(empty_url, project).changed_repeatables == ["sql/functions/a.sql", "sql/policies/b.sql"]


def test_warnings_a_repeatable_raises_are_reported_not_lost(empty_url, tmp_path):
    """A repeatable's WARNING (an upgrade step it could not take) reaches the result; notices do not."""
    body = ("do $$ begin raise notice 'chatter'; raise warning 'table % left as it was', 'public.notes' "
            "using hint = 'run enable_audit'; end $$;\n")
    project = make_project(tmp_path, functions={"a.sql": body})
    result = migrate(empty_url, project)
    assert result.warnings == ["table public.notes left as it was (hint: run enable_audit)"]
    assert migrate(empty_url, project).warnings == []  # unchanged: not applied again


def test_migration_that_cannot_load_is_named(empty_url, tmp_path):
    project = make_project(tmp_path, {"0001_cycle.sql": "-- depends: 0001_cycle\nselect 1;\n"})
    with pytest.raises(MigrationError, match="0001_cycle"):
        migrate(empty_url, project)


# -- concurrency and locks ---------------------------------------------------------


SLOW = (
    "create table public.runs (n int);\n"
    "alter table public.runs enable row level security;\n"
    "insert into public.runs values (1);\n"
    "select pg_sleep({seconds});\n"
)


def _cli_migrate(project: Project, url: str) -> subprocess.Popen:
    env = {**os.environ, "SUPAKIT_PROJECT_DIR": str(project.root)}
    return subprocess.Popen(
        [sys.executable, "-m", "supakit", "migrate", "--no-bootstrap", "--database-url", url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_two_concurrent_runs_apply_once(empty_url, tmp_path):
    project = make_project(tmp_path, {"0001_slow.sql": SLOW.format(seconds=1)})
    runs = [_cli_migrate(project, empty_url) for _ in range(2)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert one(empty_url, "select count(*) from public.runs") == 1
    said = sorted(out for out, _ in outputs)
    assert "applied 0001_slow" in said[0] and "nothing to do" in said[1]


def test_crashed_run_does_not_block_the_next(empty_url, tmp_path):
    project = make_project(tmp_path, {"0001_slow.sql": SLOW.format(seconds=60)})
    crashed = _cli_migrate(project, empty_url)
    deadline = time.monotonic() + 30
    while one(empty_url, "select count(*) from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()") == 0:
        assert time.monotonic() < deadline, "the first run never reached its migration"
        time.sleep(0.1)
    crashed.send_signal(signal.SIGKILL)
    crashed.wait()
    # Its server sessions die with it once the server notices; the slow statement is cancelled.
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()")
    (project.migrations / "0001_slow.sql").write_text(SLOW.format(seconds=0))
    assert migrate(empty_url, project, lock_timeout=10).applied == ["0001_slow"]


def test_lock_timeout_names_the_problem(empty_url, tmp_path):
    project = make_project(tmp_path)
    with psycopg.connect(empty_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(hashtext('supakit.migrate'))")
        with pytest.raises(LockTimeout, match="another migrate run"):
            migrate(empty_url, project, lock_timeout=0.3)


# -- drift and repeatables ---------------------------------------------------------


def test_editing_an_applied_file_shows_as_drift(empty_url, tmp_path):
    project = make_project(tmp_path, {"0001_good.sql": GOOD})
    migrate(empty_url, project)
    assert status(empty_url, project).drift == []
    (project.migrations / "0001_good.sql").write_text(GOOD + "-- edited after it was applied\n")
    assert status(empty_url, project).drift == ["0001_good"]
    env = {**os.environ, "SUPAKIT_PROJECT_DIR": str(project.root)}
    cli = subprocess.run(
        [sys.executable, "-m", "supakit", "status", "--database-url", empty_url, "--check"],
        env=env, capture_output=True, text=True,
    )
    assert cli.returncode == 1 and "DRIFT" in cli.stdout and "0001_good" in cli.stdout


POLICY = (
    "drop policy if exists {name} on public.good;\n"
    "create policy {name} on public.good for select to authenticated using ({rule});\n"
)


def _policy_oid(url: str, name: str) -> int:
    return one(url, "select oid from pg_policy where polname = %s", (name,))


def test_editing_a_policy_reapplies_only_it(empty_url, tmp_path):
    project = make_project(
        tmp_path,
        {"0001_good.sql": GOOD},
        functions={"f.sql": "create or replace function public.f() returns int language sql as $$ select 1 $$;\n"},
        policies={"a.sql": POLICY.format(name="a", rule="true"), "b.sql": POLICY.format(name="b", rule="true")},
    )
    assert migrate(empty_url, project).repeatables == ["sql/functions/f.sql", "sql/policies/a.sql", "sql/policies/b.sql"]
    oid_a, oid_b = _policy_oid(empty_url, "a"), _policy_oid(empty_url, "b")
    assert migrate(empty_url, project).repeatables == []
    (project.policies / "b.sql").write_text(POLICY.format(name="b", rule="id > 0"))
    assert status(empty_url, project).changed_repeatables == ["sql/policies/b.sql"]
    assert migrate(empty_url, project).repeatables == ["sql/policies/b.sql"]
    assert _policy_oid(empty_url, "a") == oid_a  # untouched: no lock taken on its table
    assert _policy_oid(empty_url, "b") != oid_b
    assert "id > 0" in one(empty_url, "select pg_get_expr(polqual, polrelid) from pg_policy where polname = 'b'")


def test_non_transactional_migration_runs_concurrently(empty_url, tmp_path):
    concurrent = "-- transactional: false\n-- depends: 0001_good\ncreate index concurrently good_id_idx on public.good (id);\n"
    project = make_project(tmp_path, {"0001_good.sql": GOOD, "0002_index.sql": concurrent})
    assert migrate(empty_url, project).applied == ["0001_good", "0002_index"]
    assert one(empty_url, "select to_regclass('public.good_id_idx') is not null")


def test_schema_change_tells_postgrest_to_reload(empty_url, tmp_path):
    project = make_project(tmp_path, {"0001_good.sql": GOOD})
    with psycopg.connect(empty_url, autocommit=True) as listener:
        listener.execute("listen pgrst")
        migrate(empty_url, project)
        notes = list(listener.notifies(timeout=2, stop_after=1))
        assert [n.payload for n in notes] == ["reload schema"]
        migrate(empty_url, project)  # nothing changed: no reload
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []


# -- rollback and new --------------------------------------------------------------


def _chain(tmp_path: Path, n: int) -> Project:
    files = {}
    for i in range(1, n + 1):
        depends = f"-- depends: {i - 1:04d}_t{i - 1}\n" if i > 1 else ""
        files[f"{i:04d}_t{i}.sql"] = f"{depends}create table public.t{i} (id int);\n"
        files[f"{i:04d}_t{i}.rollback.sql"] = f"drop table public.t{i};\n"
    return make_project(tmp_path, files)


def test_rollback_count_and_to(empty_url, tmp_path):
    project = _chain(tmp_path, 4)
    migrate(empty_url, project)
    assert rollback(empty_url, project).rolled_back == ["0004_t4"]
    assert rollback(empty_url, project, to="0001_t1").rolled_back == ["0003_t3", "0002_t2"]
    assert status(empty_url, project).applied == ["0001_t1"]
    assert one(empty_url, "select to_regclass('public.t2') is null")
    with pytest.raises(Exception, match="--to 0009_nope"):
        rollback(empty_url, project, to="0009_nope").rolled_back


def test_rollback_without_its_file_is_refused(empty_url, tmp_path):
    project = make_project(tmp_path, {"0001_good.sql": GOOD})
    migrate(empty_url, project)
    with pytest.raises(MigrationError, match="cannot roll it back"):
        rollback(empty_url, project).rolled_back
    assert status(empty_url, project).applied == ["0001_good"]


def test_new_writes_a_numbered_pair(tmp_path):
    project = _chain(tmp_path, 2)
    forward, backward = new_migration(project, "Add project color!")
    assert forward.name == "0003_add_project_color.sql"
    assert backward.name == "0003_add_project_color.rollback.sql"
    assert "-- depends: 0002_t2" in forward.read_text()
    with pytest.raises(Exception, match="no letters or digits"):
        new_migration(project, "!!!")


def test_cli_migrate_and_rollback(empty_url, tmp_path):
    project = _chain(tmp_path, 2)
    env = {**os.environ, "SUPAKIT_PROJECT_DIR": str(project.root)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "supakit", *args, "--database-url", empty_url],
                              env=env, capture_output=True, text=True)

    assert "applied 0002_t2" in cli("migrate").stdout
    assert "nothing to do" in cli("migrate").stdout
    assert "rolled back 0002_t2" in cli("rollback").stdout
    assert "rolled back 0001_t1" in cli("rollback", "--all").stdout
    bad = subprocess.run([sys.executable, "-m", "supakit", "migrate", "--database-url", "postgresql://x:y@127.0.0.1:1/z"],
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.startswith("supakit: ") and "Traceback" not in bad.stderr


def test_cli_new_writes_the_pair(tmp_path):
    project = _chain(tmp_path, 1)
    env = {**os.environ, "SUPAKIT_PROJECT_DIR": str(project.root)}
    result = subprocess.run([sys.executable, "-m", "supakit", "new", "add color"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "sql/migrations/0002_add_color.sql" in result.stdout
    assert (project.migrations / "0002_add_color.rollback.sql").exists()


def test_cli_lists_every_command():
    result = subprocess.run([sys.executable, "-m", "supakit", "--help"], capture_output=True, text=True)
    for command in ("up", "down", "status", "token", "migrate", "rollback", "new", "backfill", "lint", "doctor", "gen"):
        assert f" {command} " in result.stdout, command


def _strict(server) -> None:
    """Only where supakit made the server: a server given by URL migrates as its own user."""
    if server.migrate_user is None:
        pytest.skip("this backend migrates as the server's own user (no separate migrate role)")


def test_migrations_run_as_a_postgres_that_is_not_a_superuser(supakit_server, database):
    """As on Supabase: `postgres` migrates without superuser, with Supabase's attributes,
    the API roles, `public`, and `extensions` on its search path; GoTrue's tables are
    `supabase_auth_admin`'s."""
    _strict(supakit_server)
    with psycopg.connect(supakit_server.migrate_url(database)) as conn:
        role = conn.execute(
            "select current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, rolcanlogin "
            "from pg_catalog.pg_roles where rolname = current_user"
        ).fetchone()
        assert role == ("postgres", False, True, True, True, True, True)
        assert conn.execute("show search_path").fetchone()[0] == '"$user", public, extensions'
        assert conn.execute(
            "select bool_and(pg_has_role('postgres', r, 'member')) from unnest(array['anon', 'authenticated', 'service_role']) as r"
        ).fetchone()[0]
        owners = dict(conn.execute(
            "select n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) from pg_catalog.pg_namespace as n "
            "where n.nspname in ('public', 'extensions')"
        ).fetchall())
        assert owners == {"public": "postgres", "extensions": supakit_server.user}
        assert conn.execute("select tableowner from pg_catalog.pg_tables where schemaname = 'auth' and tablename = 'users'"
                            ).fetchone()[0] == "supabase_auth_admin"
        # What the migrations made is the migrate role's, as on Supabase.
        assert conn.execute("select tableowner from pg_catalog.pg_tables where schemaname = 'public' and tablename = 'organizations'"
                            ).fetchone()[0] == "postgres"


@pytest.mark.parametrize("statement", [
    "create role supakit_intruder superuser",
    "create extension if not exists file_fdw",  # untrusted: superuser only, on Supabase too
    "alter table auth.users add column nickname text",  # GoTrue's table, not the project's
])
def test_a_migration_needing_a_superuser_fails_and_names_its_file(supakit_server, tmp_path, statement):
    """What fails on deploy fails in the test template first, naming the file."""
    _strict(supakit_server)
    project = make_project(tmp_path, {"0001_needs_superuser.sql": f"create table public.fine (id int);\n{statement};\n"})
    name = databases.unique_name("supakit_su")
    try:
        with pytest.raises(MigrationError) as caught:
            databases.create_migrated(supakit_server, name, project)
    finally:
        databases.drop(supakit_server, name)
    message = str(caught.value)
    assert message.startswith("sql/migrations/0001_needs_superuser.sql:2: "), message
    assert "superuser" in message or "permission denied" in message or "must be owner" in message, message
