"""supakit as a user gets it: the wheel in a fresh venv, used in a directory of their own.

No source checkout is importable there: the venv has no system site-packages and the
commands run with a clean environment, from private temporary directories (mode 700,
as `mktemp -d` makes them), which as root means the stack's data lives elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from supakit.providers.base import free_port

pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Venv:
    bin: Path

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TERM", "PIP_INDEX_URL", "PIP_FIND_LINKS")}
        return {**keep, "PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", **extra}

    def run(self, argv: list[str], cwd: Path, check: bool = True, timeout: float = 300, **extra: str):
        result = subprocess.run(
            argv, cwd=cwd, env=self.env(**extra), capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def supakit(self, *args: str, cwd: Path, check: bool = True, **extra: str):
        return self.run([str(self.bin / "supakit"), *args], cwd, check, **extra)

    def pytest(self, cwd: Path, *args: str, check: bool = True, **extra: str):
        return self.run([str(self.bin / "python"), "-m", "pytest", "-p", "no:cacheprovider", *args], cwd, check, **extra)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--disable-pip-version-check", "-w", str(work / "dist"), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = (work / "dist").glob("supakit-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=120)
    subprocess.run(
        [str(work / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[test]"],
        check=True, capture_output=True, timeout=600,
    )
    return Venv(work / "venv" / "bin")


@pytest.fixture
def app_dir():
    """A private directory (mode 700) as `mktemp -d` gives; removed with the stack's data."""
    path = Path(tempfile.mkdtemp(prefix="supakit-app-"))
    yield path
    state = path / ".supakit" / "stack.json"
    if state.exists():
        cluster = json.loads(state.read_text()).get("cluster_dir")
        if cluster:
            shutil.rmtree(cluster, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)


def _up(venv: Venv, app: Path) -> dict:
    result = venv.supakit("up", "--json", "--api-port", str(free_port()), "--db-port", str(free_port()), cwd=app)
    return json.loads(result.stdout)


def test_the_wheel_carries_its_sql_and_imports_from_the_venv(venv, tmp_path):
    probe = (
        "import supakit, supakit.stack.bootstrap as b; "
        "print(supakit.__file__); print(len(b.bootstrap_sql()) > 1000)"
    )
    out = venv.run([str(venv.bin / "python"), "-c", probe], tmp_path).stdout.split()
    assert out[0].startswith(str(venv.bin.parent)) and out[1] == "True"
    assert venv.supakit("--version", cwd=tmp_path).stdout.startswith("supakit ")


def test_saas_project_init_up_pytest_reset_down(venv, app_dir):
    assert oct(app_dir.stat().st_mode & 0o777) == "0o700"
    venv.supakit("init", "--template", "saas", cwd=app_dir)
    info = _up(venv, app_dir)
    try:
        assert info["applied"][0] == "0001_foundation" and info["repeatables"]
        headers = {"apikey": info["anon_key"]}
        assert httpx.get(f"{info['rest_url']}/organizations", headers=headers).json() == []

        tested = venv.pytest(app_dir, "-v")
        assert "supakit: backend=" in tested.stdout and " passed" in tested.stdout
        assert "test_a_tenant_sees_only_its_own_organizations PASSED" in tested.stdout
        assert "sql/tests/tenancy.sql::tenancy.sql PASSED" in tested.stdout

        token = venv.supakit("token", "--email", "ann@example.test", cwd=app_dir).stdout.strip()
        created = httpx.post(
            f"{info['rest_url']}/rpc/create_organization",
            headers={**headers, "Authorization": f"Bearer {token}"}, json={"name": "Ann Co", "slug": "ann-co"},
        )
        assert created.status_code == 200, created.text
        reset = venv.supakit("db", "reset", cwd=app_dir)
        assert reset.stdout.startswith("reset the local database:") and "sql/seed.sql" in reset.stdout
        service = {"apikey": info["service_role_key"], "Authorization": f"Bearer {info['service_role_key']}"}
        assert httpx.get(f"{info['rest_url']}/organizations", headers=service).json() == []

        venv.supakit("gen", "models", cwd=app_dir)
        assert "class Organization" in (app_dir / "supakit_models.py").read_text()
        status = venv.supakit("status", cwd=app_dir).stdout
        assert "postgres: running" in status and "pending: none" in status
    finally:
        venv.supakit("down", cwd=app_dir, check=False)
    assert "stopped" in venv.supakit("status", cwd=app_dir).stdout


NOTES = """\
create table public.notes (
  id bigint generated always as identity primary key,
  body text not null check (length(body) <= 1000)
);
alter table public.notes enable row level security;
-- Signed-in users read every note.
create policy notes_select on public.notes for select to authenticated using (true);
"""

NOTES_TEST = """\
def test_the_seed_is_there(db):
    assert db.execute("select body from public.notes").fetchall() == [("seeded",)]


def test_a_user_reads_notes_and_anon_does_not(make_user, anon):
    assert make_user().sql.execute("select count(*) from public.notes").fetchone()[0] == 1
    assert anon.sql.execute("select count(*) from public.notes").fetchone()[0] == 0


def test_the_new_migration_applied(db):
    assert db.execute("select count(*) from information_schema.columns "
                      "where table_name = 'notes' and column_name = 'pinned'").fetchone()[0] == 1
"""


def test_supabase_cli_project_works_without_moving_a_file(venv, app_dir):
    migrations = app_dir / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "20240101000000_notes.sql").write_text(NOTES)
    (app_dir / "supabase" / "seed.sql").write_text("insert into public.notes (body) values ('seeded');\n")
    init = venv.supakit("init", cwd=app_dir).stdout
    assert "supabase layout" in init and not (app_dir / "sql").exists()
    created = venv.supakit("new", "add pinned", cwd=app_dir).stdout
    (new_file,) = [p for p in migrations.glob("*_add_pinned.sql")]
    assert len(new_file.name.split("_")[0]) == 14 and "rollback" not in created
    new_file.write_text(new_file.read_text() + "alter table public.notes add column pinned boolean;\n")
    (app_dir / "tests" / "test_notes.py").write_text(NOTES_TEST)

    lint = venv.supakit("lint", cwd=app_dir, check=False)
    assert "missing-rollback" not in lint.stdout
    info = _up(venv, app_dir)
    try:
        assert info["applied"] == ["20240101000000_notes", new_file.name[:-4]]
        token = venv.supakit("token", "--email", "sam@example.test", cwd=app_dir).stdout.strip()
        user = {"apikey": info["anon_key"], "Authorization": f"Bearer {token}"}
        assert httpx.get(f"{info['rest_url']}/notes?select=body", headers=user).json() == [{"body": "seeded"}]
        tested = venv.pytest(app_dir, "-q")
        assert "7 passed" in tested.stdout, tested.stdout  # 3 + 3 Python tests, 1 pgTAP file
        with_url = venv.supakit("status", "--database-url", info["db_url"], cwd=app_dir).stdout
        assert "applied: 2" in with_url and "postgrest" not in with_url
        venv.supakit("db", "reset", cwd=app_dir)
        assert httpx.get(f"{info['rest_url']}/notes?select=body", headers=user).json() == [{"body": "seeded"}]
    finally:
        venv.supakit("down", cwd=app_dir, check=False)


def test_the_plugin_is_inert_until_a_fixture_is_used(venv, app_dir):
    nothing = {"DOCKER_HOST": f"unix://{app_dir}/no-docker.sock", "SUPAKIT_PG_BIN": str(app_dir / "no-postgres")}
    (app_dir / "tests").mkdir()
    (app_dir / "tests" / "test_plain.py").write_text("def test_plain():\n    assert 1 + 1 == 2\n")
    plain = venv.pytest(app_dir, "-q", **nothing)
    assert "1 passed" in plain.stdout

    venv.supakit("init", cwd=app_dir)
    used = venv.pytest(app_dir, "-q", check=False, **nothing)
    output = used.stdout + used.stderr
    assert used.returncode == 1, output
    assert "1 passed" in output  # the plain test still ran
    assert "no Postgres backend" in output and "pip install 'supakit[test]'" in output
    assert "apt-get install postgresql-15" in output
    assert "Traceback" not in output and ".ci/" not in output
