"""`supakit up | down | status | token` on a real local stack, driven through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from supakit.providers.base import free_port

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.backend_independent  # the stack runs its own Postgres


class StackCli:
    def __init__(self, root: Path):
        self.root = root
        self.env = {**os.environ, "SUPAKIT_PROJECT_DIR": str(root)}
        self.env.pop("SUPAKIT_DATABASE_URL", None)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "supakit", *args], cwd=self.root, env=self.env,
            capture_output=True, text=True, timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"supakit {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args, "--json").stdout)

    def state(self) -> dict:
        return json.loads((self.root / ".supakit" / "stack.json").read_text())


@pytest.fixture(scope="module")
def stack():
    """A copy of this project's SQL in a temp dir, its stack on free ports, torn down after."""
    # Not under pytest's tmp_path (mode 0700): the postgres OS user must reach .supakit/db.
    root = Path(tempfile.mkdtemp(prefix="supakit-stack-"))
    os.chmod(root, 0o755)
    shutil.copytree(ROOT / "sql", root / "sql")
    cli = StackCli(root)
    try:
        cli.run("up", "--api-port", str(free_port()), "--db-port", str(free_port()))
        yield cli
    finally:
        cli.run("down", check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_up_serves_rest_through_the_gateway(stack):
    info = stack.json("status")["stack"]["info"]
    assert httpx.get(info["rest_url"] + "/").status_code == 401
    response = httpx.get(info["rest_url"] + "/", headers={"apikey": info["anon_key"]})
    assert response.status_code == 200 and response.json()["info"]["version"] == "12.0.2"
    with psycopg.connect(info["db_url"]) as conn:
        assert conn.execute("select count(*) from supakit_migrations._yoyo_migration").fetchone()[0] > 0


def test_up_twice_is_a_noop(stack):
    before = stack.state()["pids"]
    second = stack.json("up")
    assert second["applied"] == [] and second["repeatables"] == []
    assert stack.state()["pids"] == before


def test_token_is_accepted_by_postgrest(stack):
    info = stack.json("status")["stack"]["info"]
    token = stack.run("token", "--email", "cli-user@example.test").stdout.strip()
    response = httpx.get(
        info["rest_url"] + "/rpc/nonexistent_probe",
        headers={"apikey": info["anon_key"], "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 404  # authenticated and routed: the function does not exist
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = httpx.get(info["rest_url"] + "/", headers={"apikey": info["anon_key"], "Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    missing = stack.run("token", "--email", "nobody@example.test", "--no-create", check=False)
    assert missing.returncode == 1 and "no local user" in missing.stderr and "Traceback" not in missing.stderr


def test_down_keeps_data_and_up_brings_it_back(stack):
    info = stack.json("status")["stack"]["info"]
    with psycopg.connect(info["db_url"], autocommit=True) as conn:
        conn.execute("insert into auth.users (email) values ('kept@example.test')")
    stack.run("down")
    assert stack.json("status")["stack"] | {"info": None} == {"postgres": False, "postgrest": False, "gateway": False, "info": None}
    stack.run("up")
    with psycopg.connect(info["db_url"]) as conn:
        assert conn.execute("select count(*) from auth.users where email = 'kept@example.test'").fetchone()[0] == 1


def test_up_after_a_crash_recovers(stack):
    state = stack.state()
    os.kill(state["pids"]["postgrest"], signal.SIGKILL)
    os.kill(state["pids"]["gateway"], signal.SIGKILL)
    postmaster = int((stack.root / ".supakit" / "db" / "data" / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGKILL)
    time.sleep(0.3)
    assert not any(stack.json("status")["stack"][k] for k in ("postgrest", "gateway"))
    stack.run("up")
    status = stack.json("status")
    assert all(status["stack"][k] for k in ("postgres", "postgrest", "gateway"))
    info = status["stack"]["info"]
    assert httpx.get(info["rest_url"] + "/", headers={"apikey": info["service_role_key"]}).status_code == 200


def test_changing_ports_of_an_existing_stack_is_refused(stack):
    result = stack.run("up", "--db-port", "1", check=False)
    assert result.returncode == 1
    assert "uses db port" in result.stderr and "Traceback" not in result.stderr


def test_db_reset_drops_the_data_and_seeds_again(stack):
    info = stack.json("status")["stack"]["info"]
    with psycopg.connect(info["db_url"], autocommit=True) as conn:
        conn.execute("insert into auth.users (email) values ('before-reset@example.test')")
        conn.execute("create table public.made_by_hand (x int)")
    seed = stack.root / "sql" / "seed.sql"
    seed.write_text("insert into auth.users (email) values ('seeded@example.test');\n")
    result = stack.run("db", "reset")
    assert "sql/seed.sql" in result.stdout
    with psycopg.connect(info["db_url"]) as conn:
        emails = {r[0] for r in conn.execute("select email from auth.users")}
        assert emails == {"seeded@example.test"}
        assert conn.execute("select to_regclass('public.made_by_hand')").fetchone()[0] is None
        assert conn.execute("select count(*) from public.profiles").fetchone()[0] == 1  # the trigger came back
    headers = {"apikey": info["service_role_key"]}
    deadline = time.monotonic() + 10
    while (response := httpx.get(info["rest_url"] + "/profiles?select=email", headers=headers)).status_code != 200:
        assert time.monotonic() < deadline, response.text  # PostgREST reconnects after the drop
        time.sleep(0.2)
    assert response.json() == [{"email": "seeded@example.test"}]


def test_a_failing_seed_leaves_nothing_half_written(stack):
    info = stack.json("status")["stack"]["info"]
    (stack.root / "sql" / "seed.sql").write_text(
        "insert into auth.users (email) values ('half@example.test');\nselect no_such_function();\n"
    )
    result = stack.run("db", "reset", check=False)
    assert result.returncode == 1 and "seed sql/seed.sql failed" in result.stderr
    assert "Traceback" not in result.stderr
    with psycopg.connect(info["db_url"]) as conn:
        assert conn.execute("select count(*) from auth.users where email = 'half@example.test'").fetchone()[0] == 0
    (stack.root / "sql" / "seed.sql").write_text("-- no seed data\n")
    stack.run("db", "reset")


def test_status_with_a_database_url_shows_that_database_only(stack):
    info = stack.json("status")["stack"]["info"]
    shown = stack.run("status", "--database-url", info["db_url"]).stdout
    assert "applied:" in shown and "postgrest" not in shown and "API URL" not in shown
    assert stack.json("status", "--database-url", info["db_url"])["stack"] is None


def test_a_failed_up_stops_what_it_started():
    root = Path(tempfile.mkdtemp(prefix="supakit-broken-"))
    os.chmod(root, 0o755)
    (root / "sql" / "migrations").mkdir(parents=True)
    (root / "sql" / "migrations" / "0001_broken.sql").write_text("create table public.t (id int);\nselect 1/0;\n")
    cli = StackCli(root)
    try:
        result = cli.run("up", "--api-port", str(free_port()), "--db-port", str(free_port()), check=False)
        assert result.returncode == 1 and "0001_broken.sql" in result.stderr and "Traceback" not in result.stderr
        processes = cli.json("status")["stack"]
        assert {k: processes[k] for k in ("postgres", "postgrest", "gateway")} == {
            "postgres": False, "postgrest": False, "gateway": False}
    finally:
        cli.run("down", check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_the_demo_runs_against_the_stack(stack):
    """The README's main command ends with docs/demo.py: it must pass on a fresh stack."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "demo.py")], env=stack.env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("demo: ok")
