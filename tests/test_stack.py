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

from supakit.stack.auth.users import create_user
from supakit.providers.base import free_port

from helpers import ROOT
from helpers.stack import own_stack


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
    with own_stack(StackCli, "supakit-stack-") as cli:
        yield cli


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


def test_a_token_that_worked_stops_at_its_exp(stack):
    """Whatever PostgREST keeps of a verified token (its JWT cache) ends at the token's `exp`.
    PostgREST allows 30 s of clock skew: the token is made to run out 3 s from now, skew included."""
    from supakit import tokens

    info = stack.json("status")["stack"]["info"]
    token = tokens.sign({"role": "authenticated", "sub": "00000000-0000-4000-8000-000000000001",
                         "exp": int(time.time()) - 27}, stack.state()["jwt_secret"])
    headers = {"apikey": info["anon_key"], "Authorization": f"Bearer {token}"}
    assert httpx.get(info["rest_url"] + "/rpc/nonexistent_probe", headers=headers).status_code == 404
    assert httpx.get(info["rest_url"] + "/rpc/nonexistent_probe", headers=headers).status_code == 404
    time.sleep(4.5)
    expired = httpx.get(info["rest_url"] + "/rpc/nonexistent_probe", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.text.lower(), expired.text


def test_down_keeps_data_and_up_brings_it_back(stack):
    info = stack.json("status")["stack"]["info"]
    with psycopg.connect(info["db_url"], autocommit=True) as conn:
        create_user(conn, 'kept@example.test')
    stack.run("down")
    assert stack.json("status")["stack"] | {"info": None} == {"postgres": False, "postgrest": False, "auth": False, "gateway": False, "pooler": False, "info": None}
    stack.run("up")
    with psycopg.connect(info["db_url"]) as conn:
        assert conn.execute("select count(*) from auth.users where email = 'kept@example.test'").fetchone()[0] == 1


def test_up_after_a_crash_recovers(stack):
    state = stack.state()
    os.kill(state["pids"]["postgrest"], signal.SIGKILL)
    os.kill(state["pids"]["gateway"], signal.SIGKILL)
    os.kill(state["pids"]["auth"], signal.SIGKILL)
    postmaster = int((stack.root / ".supakit" / "db" / "data" / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGKILL)
    time.sleep(0.3)
    assert not any(stack.json("status")["stack"][k] for k in ("postgrest", "auth", "gateway"))
    stack.run("up")
    status = stack.json("status")
    assert all(status["stack"][k] for k in ("postgres", "postgrest", "auth", "gateway", "pooler"))
    info = status["stack"]["info"]
    assert httpx.get(info["rest_url"] + "/", headers={"apikey": info["service_role_key"]}).status_code == 200


def test_changing_ports_of_an_existing_stack_is_refused(stack):
    result = stack.run("up", "--db-port", "1", check=False)
    assert result.returncode == 1
    assert "uses db port" in result.stderr and "Traceback" not in result.stderr


def test_db_reset_drops_the_data_and_seeds_again(stack):
    info = stack.json("status")["stack"]["info"]
    with psycopg.connect(info["db_url"], autocommit=True) as conn:
        conn.execute("insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated', 'before-reset@example.test')")
        conn.execute("create table public.made_by_hand (x int)")
    seed = stack.root / "sql" / "seed.sql"
    seed.write_text("insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated', 'seeded@example.test');\n")
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
    # The auth server replaces its cut connections; pg_cron is enabled and the job scheduled again.
    signup = httpx.post(info["auth_url"] + "/signup", headers={"apikey": info["anon_key"]},
                        json={"email": "after-reset@example.test", "password": "after reset pw"})
    assert signup.status_code == 200 and signup.json()["user"]["email"] == "after-reset@example.test"
    assert "supakit-empty-trash" in [j["jobname"] for j in stack.json("status")["jobs"]]


def test_a_failing_seed_leaves_nothing_half_written(stack):
    info = stack.json("status")["stack"]["info"]
    (stack.root / "sql" / "seed.sql").write_text(
        "insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated', 'half@example.test');\nselect no_such_function();\n"
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


def test_an_app_signs_up_and_in_with_supabase_py_only(stack):
    """The issue's done-when: docs/auth_demo.py, only supabase-py, against `supakit up`."""
    info = stack.json("status")["stack"]["info"]
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "auth_demo.py"), info["api_url"], info["anon_key"]],
        env=stack.env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.strip().endswith("auth journey: ok")
    for step in ("signed up", "signed in", "refreshed", "own profile through RLS", "created organization",
                 "refreshing again fails (refresh_token_not_found)"):
        assert step in out
    log = (stack.root / ".supakit" / "auth" / "auth.log").read_text()
    assert "pw-" not in log  # the password never reaches the log


def test_the_token_command_names_a_real_session(stack):
    info = stack.json("status")["stack"]["info"]
    token = stack.run("token", "--email", "session-user@example.test").stdout.strip()
    response = httpx.get(info["auth_url"] + "/user", headers={"apikey": info["anon_key"], "Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["email"] == "session-user@example.test"


def test_the_pooler_serves_the_database_in_transaction_mode(stack):
    status = stack.run("status").stdout
    assert "Pooler URL: postgresql://postgres:" in status and "pooler: running" in status
    info = stack.json("status")["stack"]["info"]
    assert f":{stack.state()['pooler_port']}/postgres" in info["pooler_url"]
    with psycopg.connect(info["pooler_url"], prepare_threshold=None) as conn:
        assert conn.execute("select count(*) >= 0 from public.profiles").fetchone() == (True,)
        assert conn.execute("select inet_server_port()").fetchone()[0] == stack.state()["db_port"]


def test_status_lists_the_scheduled_jobs_and_the_job_empties_the_trash(stack):
    """pg_cron runs in the stack; 0014 scheduled the nightly trash cleanup, which really cleans."""
    out = stack.run("status").stdout
    assert "scheduled jobs (pg_cron):" in out and "supakit-empty-trash  17 3 * * *  never run" in out
    jobs = stack.json("status")["jobs"]
    by_name = {j["jobname"]: j for j in jobs}
    assert {"supakit-empty-trash", "supakit-audit-logs"} <= set(by_name) and by_name["supakit-empty-trash"]["active"]
    info = stack.json("status")["stack"]["info"]
    with psycopg.connect(info["db_url"], autocommit=True) as conn:
        user = create_user(conn, "cron-owner@example.test")
        org = conn.execute("insert into public.organizations (name, slug) values ('Cron', 'cron-org') returning id").fetchone()[0]
        conn.execute("insert into public.organization_members (organization_id, user_id, role) values (%s, %s, 'admin')",
                     (org, user))
        old, recent, live = (conn.execute("insert into public.projects (organization_id, name) values (%s, %s) returning id",
                                          (org, name)).fetchone()[0] for name in ("old", "recent", "live"))
        conn.execute("update public.projects set deleted_at = now() - interval '31 days' where id = %s", (old,))
        conn.execute("update public.projects set deleted_at = now() - interval '29 days' where id = %s", (recent,))
        command = conn.execute("select command from cron.job where jobname = 'supakit-empty-trash'").fetchone()[0]
        with conn.transaction():
            for statement in command.split(";"):
                if statement.strip():
                    conn.execute(statement)
        left = {r[0] for r in conn.execute("select id from public.projects where organization_id = %s", (org,))}
        assert left == {recent, live}


def test_the_stack_migrates_as_a_postgres_that_is_not_a_superuser(stack):
    """As on Supabase: the DB URL's `postgres` migrates without superuser, so a migration
    needing one fails at `supakit migrate`, naming its file, not first on deploy."""
    info = stack.json("status")["stack"]["info"]
    with psycopg.connect(info["db_url"]) as conn:
        assert conn.execute("select current_user, rolsuper from pg_catalog.pg_roles where rolname = current_user"
                            ).fetchone() == ("postgres", False)
        assert conn.execute("show search_path").fetchone()[0] == '"$user", public, extensions'
    bad = stack.root / "sql" / "migrations" / "9999_needs_superuser.sql"
    bad.write_text("create role supakit_intruder superuser;\n")
    try:
        result = stack.run("migrate", check=False)
    finally:
        bad.unlink()
    assert result.returncode != 0
    assert "sql/migrations/9999_needs_superuser.sql" in result.stderr and "superuser" in result.stderr, result.stderr
    assert stack.json("migrate") == {"applied": [], "repeatables": [], "warnings": []}
    # As the DB URL's `postgres`: the bootstrap is the superuser's, found done and skipped.
    assert stack.json("migrate", "--database-url", info["db_url"]) == {"applied": [], "repeatables": [], "warnings": []}


@pytest.mark.parametrize("flag", ["--api-port", "--db-port"])
@pytest.mark.parametrize("value", ["0", "70000"])
def test_up_refuses_a_port_out_of_range_before_it_starts_anything(tmp_path, flag, value):
    result = subprocess.run([sys.executable, "-m", "supakit", "up", flag, value], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"Invalid value for '{flag}'" in result.stderr, result.stderr
    assert ("greater than or equal to 1" if value == "0" else "less than or equal to 65535") in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".supakit").exists()


def test_a_stack_whose_state_file_was_removed_comes_back_on_its_data():
    """stack.json lost, the cluster kept: up finds its superuser instead of assuming `postgres`."""
    root = Path(tempfile.mkdtemp(prefix="supakit-stack-"))
    os.chmod(root, 0o755)
    shutil.copytree(ROOT / "sql", root / "sql")
    cli = StackCli(root)
    db_port = str(free_port())
    try:
        cli.run("up", "--api-port", str(free_port()), "--db-port", db_port)
        with psycopg.connect(cli.json("status")["stack"]["info"]["db_url"], autocommit=True) as conn:
            create_user(conn, "survivor@example.test")
        cli.run("down")
        (root / ".supakit" / "stack.json").unlink()
        result = cli.run("up", "--api-port", str(free_port()), "--db-port", db_port, check=False)
        assert result.returncode == 0, result.stderr
        assert cli.state()["admin_user"] == "supabase_admin"
        with psycopg.connect(cli.json("status")["stack"]["info"]["db_url"]) as conn:
            assert conn.execute("select count(*) from auth.users where email = 'survivor@example.test'").fetchone()[0] == 1
            assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0] is False
    finally:
        cli.run("down", check=False)
        shutil.rmtree(root, ignore_errors=True)
