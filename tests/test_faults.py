"""Faults on a real local stack: kill -9 of Postgres mid-migrate, of PostgREST and nginx
under load, two migrate runs at once, a migration failing half-way, and a database
that refuses connections. Each ends with the state checked, not just an exit code.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from supakit.migrate import MigrationError, migrate
from supakit.project import load_project
from supakit.providers.base import free_port

from helpers import ROOT, one
from helpers.stack import own_stack

pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]  # the stack runs its own Postgres

SLEEPY = """-- A migration of several statements that takes its time: killed in the middle.
create table public.fault_probe (id int primary key, note text not null);
alter table public.fault_probe enable row level security;
insert into public.fault_probe (id, note) values (1, 'inserted once');
select pg_catalog.pg_sleep({seconds});
create index fault_probe_note_idx on public.fault_probe (note);
"""


class Cli:
    def __init__(self, root: Path):
        self.root = root
        self.env = {**os.environ, "SUPAKIT_PROJECT_DIR": str(root), "PYTHONPATH": str(ROOT / "py" / "client")}
        self.env.pop("SUPAKIT_DATABASE_URL", None)

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "supakit", *args]

    def run(self, *args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
        result = subprocess.run(self.argv(*args), cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"supakit {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(self.argv(*args), cwd=self.root, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def info(self) -> dict:
        return json.loads(self.run("status", "--json").stdout)["stack"]["info"]

    def data_dir(self) -> Path:
        """The cluster's data directory (the DB URL's `postgres` may not read `data_directory`)."""
        from supakit.stack import Stack

        return Stack(load_project(self.root)).cluster.data

    def pids(self) -> dict[str, int]:
        from supakit.stack import Stack

        return dict(Stack(load_project(self.root)).state.pids)


@pytest.fixture(scope="module")
def stack():
    """This project's SQL in a temp dir, its own stack on free ports, torn down after."""
    with own_stack(Cli, "supakit-faults-") as cli:
        yield cli


def wait_for_query(url: str, fragment: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if one(url, "select count(*) from pg_stat_activity where query like %s and pid <> pg_backend_pid()",
               (f"%{fragment}%",)):
            return
        time.sleep(0.05)
    raise AssertionError(f"no backend ran {fragment!r} within {seconds}s")


def kill_postgres(stack: Cli) -> None:
    """kill -9 of the postmaster and every process it started, as the OOM killer or a power cut would."""
    postmaster = int((stack.data_dir() / "postmaster.pid").read_text().split()[0])
    children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == postmaster]
    for pid in [postmaster, *children]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _ppid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def one_line_error(result: subprocess.CompletedProcess | tuple[int, str]) -> str:
    code, stderr = (result.returncode, result.stderr) if isinstance(result, subprocess.CompletedProcess) else result
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


# --- migrate ----------------------------------------------------------------------------


def test_kill9_of_postgres_mid_migration_then_up_applies_it_exactly_once(stack):
    db_url = stack.info()["db_url"]
    (stack.root / "sql" / "migrations" / "9001_fault_probe.sql").write_text(SLEEPY.format(seconds=8))
    running = stack.start("migrate")
    wait_for_query(db_url, "pg_sleep(8)")
    kill_postgres(stack)
    _, stderr = running.communicate(timeout=60)
    line = one_line_error((running.returncode, stderr))
    assert "postgres:***@" in line and ":postgres@" not in line.replace("postgres:***@", ""), line

    # Server down: every command says so in one line naming the URL, without the password.
    refused = one_line_error(stack.run("migrate", "--database-url", db_url, check=False))
    assert refused.startswith("supakit: cannot connect to postgresql://postgres:***@127.0.0.1:")
    assert "connection refused" in refused

    up = stack.run("up", "--json")
    assert json.loads(up.stdout)["applied"] == ["9001_fault_probe"]
    assert one(db_url, "select count(*) from public.fault_probe") == 1
    assert one(db_url, "select to_regclass('public.fault_probe_note_idx') is not null")
    assert one(db_url, "select count(*) from supakit_migrations._yoyo_migration where migration_id = '9001_fault_probe'") == 1
    assert one(db_url, "select count(*) from supakit_migrations.checksums where name = '9001_fault_probe'") == 1
    assert stack.run("status", "--check", check=False).returncode == 0, "schema and bookkeeping agree: nothing pending"


def test_two_migrate_runs_at_once_one_waits_then_has_nothing_to_do(stack):
    db_url = stack.info()["db_url"]
    (stack.root / "sql" / "migrations" / "9002_slow_probe.sql").write_text(
        "create table public.slow_probe (id int primary key);\n"
        "alter table public.slow_probe enable row level security;\n"
        "select pg_catalog.pg_sleep(15);\n"  # long enough for a second process to start under load
    )
    first = stack.start("migrate")
    wait_for_query(db_url, "pg_sleep(15)")
    second = stack.start("migrate")
    out1, err1 = first.communicate(timeout=60)
    out2, err2 = second.communicate(timeout=60)
    assert first.returncode == 0 and "applied 9002_slow_probe" in out1, out1 + err1
    assert second.returncode == 0, out2 + err2
    assert "waiting for the migration lock: another migrate run holds it" in err2
    assert "nothing to do" in out2 and "applied" not in out2


def test_migration_and_its_record_are_one_transaction(stack, tmp_path):
    """If recording the checksum fails, the migration's changes are gone too (no applied-but-pending state)."""
    db_url = stack.info()["db_url"]
    (stack.root / "sql" / "migrations" / "9003_atomic_probe.sql").write_text(
        "create table public.atomic_probe (id int primary key);\n"
        "alter table public.atomic_probe enable row level security;\n"
    )
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("""
            create function supakit_migrations.refuse_probe() returns trigger language plpgsql as $$
            begin
              if new.name = '9003_atomic_probe' then raise exception 'refusing the record of %', new.name; end if;
              return new;
            end $$;
            create trigger refuse_probe before insert on supakit_migrations.checksums
              for each row execute function supakit_migrations.refuse_probe();
        """)
    try:
        with pytest.raises(MigrationError, match="refusing the record of 9003_atomic_probe"):
            migrate(db_url, load_project(stack.root))
        assert not one(db_url, "select to_regclass('public.atomic_probe') is not null"), "the schema change was kept"
        assert one(db_url, "select count(*) from supakit_migrations._yoyo_migration where migration_id = '9003_atomic_probe'") == 0
    finally:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("drop trigger refuse_probe on supakit_migrations.checksums; drop function supakit_migrations.refuse_probe()")
    assert migrate(db_url, load_project(stack.root)).applied == ["9003_atomic_probe"]


def test_a_migration_failing_half_way_names_file_and_line(stack):
    db_url = stack.info()["db_url"]
    path = stack.root / "sql" / "migrations" / "9004_half_way.sql"
    path.write_text(
        "-- fails at its third statement\n"
        "create table public.half_way (id int primary key);\n"
        "alter table public.half_way enable row level security;\n"
        "\n"
        "insert into public.half_way (id)\n"
        "  values (1),\n"
        "         ('not a number');\n"
    )
    try:
        line = one_line_error_head(stack.run("migrate", check=False))
        assert line.startswith("supakit: sql/migrations/9004_half_way.sql:7: invalid input syntax for type integer"), line
        assert not one(db_url, "select to_regclass('public.half_way') is not null")
        assert one(db_url, "select count(*) from supakit_migrations._yoyo_migration where migration_id = '9004_half_way'") == 0
        assert "9004_half_way" in json.loads(stack.run("status", "--json").stdout)["migrations"]["pending"]
    finally:
        path.unlink()


def one_line_error_head(result: subprocess.CompletedProcess) -> str:
    """A migration error is its one line, then the statement quoted under it."""
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.splitlines()[0]


# --- refused connections ------------------------------------------------------------------


COMMANDS = (
    ("migrate",),
    ("rollback",),
    ("doctor",),
    ("gen", "models"),
    ("status",),
    ("backfill", "public.projects", "--set", "name = name", "--where", "false"),
)


@pytest.mark.parametrize("fault", ["wrong password", "wrong port"])
def test_refused_connections_are_one_line_naming_the_url_without_password(stack, fault):
    info = stack.info()
    db_url = info["db_url"]
    secret = "s3cret-" + uuid.uuid4().hex[:8]
    if fault == "wrong password":
        url = db_url.replace("postgres:postgres@", f"postgres:{secret}@")
        expected = "wrong password for user 'postgres'"
    else:
        port = free_port()
        url = db_url.rsplit(":", 1)[0].replace("postgres:postgres@", f"postgres:{secret}@") + f":{port}/postgres"
        expected = "connection refused"
    assert secret in url
    for command in COMMANDS:
        line = one_line_error(stack.run(*command, "--database-url", url, check=False))
        assert secret not in line, (command, line)
        assert line.startswith(f"supakit: cannot connect to {url.replace(secret, '***')}: "), (command, line)
        assert expected in line, (command, line)


# --- PostgREST and nginx killed under load -----------------------------------------------------


class Writer:
    """A user creating projects through the gateway until stopped; what it saw, with timestamps."""

    def __init__(self, info: dict, token: str, org_id: str):
        self.rest = info["rest_url"]
        self.headers = {"apikey": info["anon_key"], "Authorization": f"Bearer {token}",
                        "Prefer": "return=representation", "Content-Type": "application/json"}
        self.org_id = org_id
        self.acknowledged: list[str] = []
        self.failures: list[tuple[float, str]] = []
        self.unexpected: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self) -> None:
        deadline = time.monotonic() + 120  # bounded even if nobody stops it
        with httpx.Client(timeout=5.0) as http:
            while not self.stop.is_set() and time.monotonic() < deadline:
                try:
                    r = http.post(f"{self.rest}/projects", headers=self.headers,
                                  json={"organization_id": self.org_id, "name": f"w{len(self.acknowledged)}"})
                except httpx.TransportError as exc:
                    self.failures.append((time.monotonic(), type(exc).__name__))
                else:
                    if r.status_code == 201:
                        self.acknowledged.append(r.json()[0]["id"])
                    elif r.status_code in (502, 503, 504):  # the gateway's word for a dead upstream
                        self.failures.append((time.monotonic(), str(r.status_code)))
                    else:
                        self.unexpected.append(f"{r.status_code} {r.text[:200]}")
                time.sleep(0.01)


def test_kill9_of_postgrest_or_nginx_under_load_restarts_only_what_died(stack):
    info = stack.info()
    db_url = info["db_url"]
    token = stack.run("token", "--email", f"writer-{uuid.uuid4().hex[:6]}@example.test").stdout.strip()
    headers = {"apikey": info["anon_key"], "Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    org = httpx.post(f"{info['rest_url']}/rpc/create_organization", headers=headers,
                     json={"name": "Load", "slug": f"load-{uuid.uuid4().hex[:8]}"}).json()
    writer = Writer(info, token, org["id"])
    postmaster = one(db_url, "select pg_postmaster_start_time()")
    windows: list[tuple[float, float]] = []
    writer.thread.start()
    try:
        for victim, survivor in (("postgrest", "gateway"), ("gateway", "postgrest")):
            time.sleep(1.0)
            before = stack.pids()
            killed_at = time.monotonic()
            os.kill(before[victim], signal.SIGKILL)
            stack.run("up")
            windows.append((killed_at, time.monotonic()))
            after = stack.pids()
            assert after[victim] != before[victim], f"{victim} was restarted"
            assert after[survivor] == before[survivor], f"{survivor} kept running: only what died restarts"
        time.sleep(1.0)
    finally:
        writer.stop.set()
        writer.thread.join(30)
    assert one(db_url, "select pg_postmaster_start_time()") == postmaster, "Postgres was never restarted"
    assert not writer.unexpected, writer.unexpected[:5]
    assert len(writer.acknowledged) > 50
    for at, what in writer.failures:
        assert any(start - 0.05 <= at <= end + 0.5 for start, end in windows), f"{what} outside a kill window"
    with psycopg.connect(db_url, autocommit=True) as conn:
        ids = [str(i) for i in writer.acknowledged]
        stored = conn.execute("select count(*) from public.projects where id::text = any(%s)", (ids,)).fetchone()[0]
        audited = conn.execute(
            "select count(*), count(distinct entity_id) from public.audit_logs "
            "where entity_type = 'projects' and action = 'create' and entity_id = any(%s)", (ids,)
        ).fetchone()
    assert stored == len(ids), "every acknowledged write is in the database"
    assert audited == (len(ids), len(ids)), "and has exactly its audit row"
