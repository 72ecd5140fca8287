"""Harness costs, side by side in one run.

- clone_vs_migrate: a fresh per-test database cloned from the template, against
  creating one and migrating it from scratch (target <= 0.2);
- cold start of each backend that this machine can run (local; container when a
  Docker engine answers);
- per-test overhead: clone + connect + drop, what the `db` fixture costs;
- clone_vs_pytest_postgresql: the per-test cost of our `db` fixture against
  pytest-postgresql's template approach (its `postgresql_noproc` + `postgresql`
  fixtures), both in real pytest runs on the same server with the same schema: the
  slope of run time between 20 and 80 tests that only take the fixture (goal <= 0.5);
- pgtap_plugin_vs_pg_prove: one pgTAP file (sql/tests/tenancy.sql) through our
  plugin's runner (its own clone, run, drop) against `pg_prove` on a database that
  already has the schema and pgTAP (goal <= 1.2);
- suite_xdist2_vs_serial: the repository's suite (the backend-dependent part, local
  backend) with `pytest -n 2` against serial (goal <= 0.65). Slow: minutes.
  `--quick` skips it.

Run: python bench/harness.py [--quick]   (last line: one JSON object)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from supakit.project import find_project
from supakit.providers.local import start_local
from supakit.testing import databases

ROUNDS = 7
ROOT = Path(__file__).resolve().parents[1]

OURS = "def test_{i}(db):\n    pass\n"
THEIRS = "def test_{i}(postgresql):\n    pass\n"
# pytest-postgresql on our server: its template is loaded with the same bootstrap and migrations.
THEIRS_CONFTEST = """
import os
from pathlib import Path
from pytest_postgresql import factories

def load(host, port, user, dbname, password, **_):
    from supakit.stack.bootstrap import apply_bootstrap
    from supakit.migrate import migrate
    from supakit.project import load_project
    import psycopg
    url = f"postgresql://{user}:{password}@{host}:{port}/{dbname}"
    with psycopg.connect(url, autocommit=True) as conn:
        apply_bootstrap(conn)
    migrate(url, load_project(Path(os.environ["BENCH_PROJECT"])))

postgresql_noproc = factories.postgresql_noproc(
    host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), user=os.environ["BENCH_USER"],
    password=os.environ["BENCH_PASSWORD"], dbname="pp_bench", load=[load],
)
postgresql = factories.postgresql("postgresql_noproc")
"""


def pytest_run_seconds(directory: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(directory)],
        cwd=directory, env=env, capture_output=True, text=True, timeout=900,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"bench run in {directory} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return elapsed


def per_test_slope(server, body: str, conftest: str, env: dict[str, str]) -> float:
    """Seconds per test: (run of 80 tests - run of 20) / 60, medians of 3 runs each."""
    runs: dict[int, list[float]] = {20: [], 80: []}
    with tempfile.TemporaryDirectory(prefix="supakit-bench-") as tmp:
        for count in (20, 80):
            directory = Path(tmp) / str(count)
            directory.mkdir()
            (directory / "conftest.py").write_text(conftest)
            (directory / "test_bench.py").write_text("".join(body.format(i=i) for i in range(count)))
        for _ in range(3):
            for count in (20, 80):
                runs[count].append(pytest_run_seconds(Path(tmp) / str(count), env))
    return (statistics.median(runs[80]) - statistics.median(runs[20])) / 60


def clone_vs_pytest_postgresql(server, project) -> dict[str, float]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SUPAKIT_")}
    ours_env = base | {"SUPAKIT_TEST_BACKEND": "url", "SUPAKIT_TEST_DATABASE_URL": server.url(),
                       "SUPAKIT_PROJECT_DIR": str(project.root)}
    theirs_env = base | {"BENCH_PORT": str(server.port), "BENCH_USER": server.user, "BENCH_PASSWORD": server.password,
                         "BENCH_PROJECT": str(project.root), "SUPAKIT_PROJECT_DIR": str(project.root)}
    ours = per_test_slope(server, OURS, "", ours_env)
    theirs = per_test_slope(server, THEIRS, THEIRS_CONFTEST, theirs_env)
    return {
        "per_test_ours_ms": round(ours * 1000, 1),
        "per_test_pytest_postgresql_ms": round(theirs * 1000, 1),
        "clone_vs_pytest_postgresql": round(ours / theirs, 3),
    }


def pgtap_vs_pg_prove(server, template: str) -> dict[str, float]:
    from supakit.testing.pgtap import SEARCH_PATH, create_pgtap_template, run_file

    path = ROOT / "sql" / "tests" / "tenancy.sql"
    pgtap_template = create_pgtap_template(server, template)
    prepared = databases.clone(server, pgtap_template, prefix="bench_pg_prove")
    with server.connect(autocommit=True) as admin:
        admin.execute(f'alter database {prepared} set search_path = {SEARCH_PATH}')
    env = dict(os.environ, PGPASSWORD=server.password)
    argv = [shutil.which("pg_prove") or "pg_prove", "-h", server.host, "-p", str(server.port), "-U", server.user,
            "-d", prepared, str(path)]

    def ours() -> None:
        report = run_file(server, pgtap_template, path)
        if not report.passed:
            raise SystemExit(f"{path.name} failed through the plugin's runner:\n{report.explain()}")

    def theirs() -> None:
        subprocess.run(argv, env=env, check=True, capture_output=True, timeout=120)

    try:
        ours(), theirs()  # warm both
        ours_s, theirs_s = [], []
        for _ in range(ROUNDS):
            ours_s.append(timed(ours))
            theirs_s.append(timed(theirs))
    finally:
        databases.drop(server, prepared)
        databases.drop(server, pgtap_template, template=True)
    return {
        "pgtap_file_ours_ms": round(statistics.median(ours_s) * 1000, 1),
        "pgtap_file_pg_prove_ms": round(statistics.median(theirs_s) * 1000, 1),
        "pgtap_plugin_vs_pg_prove": round(statistics.median(ours_s) / statistics.median(theirs_s), 3),
    }


def suite_xdist2_vs_serial() -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS",)} | {"SUPAKIT_TEST_BACKEND": "local"}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not backend_independent"]
    timings = {}
    for label, extra in (("serial", []), ("xdist2", ["-n", "2"])):
        started = time.perf_counter()
        result = subprocess.run(argv + extra, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
        timings[label] = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"suite ({label}) failed:\n{result.stdout[-3000:]}")
    return {
        "suite_serial_s": round(timings["serial"], 1),
        "suite_xdist2_s": round(timings["xdist2"], 1),
        "suite_xdist2_vs_serial": round(timings["xdist2"] / timings["serial"], 3),
    }


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(fn, rounds: int = ROUNDS) -> float:
    return statistics.median(timed(fn) for _ in range(rounds))


def main() -> None:
    project = find_project()
    figures: dict[str, float | str | None] = {}

    started = time.perf_counter()
    server = start_local()
    figures["cold_start_local_s"] = round(time.perf_counter() - started, 3)
    try:
        template = databases.create_template(server, project, "bench-authenticator")

        def fresh_migrate() -> None:
            databases.drop(server, databases.create_migrated(server, databases.unique_name("bench_migrate"), project))

        def fresh_clone() -> None:
            databases.drop(server, databases.clone(server, template))

        def per_test() -> None:
            name = databases.clone(server, template)
            with server.connect(name, autocommit=True) as conn:
                conn.execute("select 1")
            databases.drop(server, name)

        migrate_s = median_of(fresh_migrate, rounds=3)
        clone_s = median_of(fresh_clone)
        figures["migrate_s"] = round(migrate_s, 4)
        figures["clone_s"] = round(clone_s, 4)
        figures["clone_vs_migrate"] = round(clone_s / migrate_s, 3)
        figures["per_test_overhead_s"] = round(median_of(per_test), 4)
        figures |= pgtap_vs_pg_prove(server, template)
        figures |= clone_vs_pytest_postgresql(server, project)
    finally:
        server.stop()

    from supakit.providers.container import BUILT_IMAGE, docker_available, start_container

    if docker_available():
        image = os.environ.get("SUPAKIT_TEST_IMAGE", BUILT_IMAGE)
        started = time.perf_counter()
        container = start_container(image)
        figures["cold_start_container_s"] = round(time.perf_counter() - started, 3)
        container.stop()
    else:
        figures["cold_start_container_s"] = None

    if "--quick" not in sys.argv:
        figures |= suite_xdist2_vs_serial()

    print(f"fresh migrate      {figures['migrate_s']:.4f} s")
    print(f"clone of template  {figures['clone_s']:.4f} s  (clone_vs_migrate {figures['clone_vs_migrate']})")
    print(f"per-test overhead  {figures['per_test_overhead_s']:.4f} s")
    print(f"cold start local   {figures['cold_start_local_s']} s; container {figures['cold_start_container_s']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
