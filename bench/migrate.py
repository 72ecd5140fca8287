"""Migrator costs, side by side in one run, on this project's real SQL.

- full: migrate a bootstrapped, empty database (every migration and repeatable);
- noop: migrate again with nothing changed (`noop_vs_full`, target <= 0.05);
- one policy: one policy file edited, only it re-applied (`one_policy_vs_full`).

Run: python bench/migrate.py   (last line: one JSON object)
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from supakit.stack.bootstrap import apply_bootstrap
from supakit.migrate import migrate
from supakit.project import Project, find_project, load_project
from supakit.providers.local import start_local
from supakit.testing import databases

ROUNDS = 5
SYNTHETIC_POLICY = (
    "drop policy if exists bench_probe on public.projects;\n"
    "create policy bench_probe on public.projects for select to authenticated using (false);\n"
)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def project_copy() -> tuple[Project, Path]:
    """A copy of the project whose policy file the bench may edit."""
    root = Path(tempfile.mkdtemp(prefix="supakit-bench-"))
    shutil.copytree(find_project().root / "sql", root / "sql")
    project = load_project(root)
    policies = sorted(project.policies.glob("*.sql"))
    if policies:
        return project, policies[0]
    target = project.policies / "zz_bench_probe.sql"
    target.write_text(SYNTHETIC_POLICY)
    return project, target


def main() -> None:
    project, policy = project_copy()
    server = start_local()
    full, noop, one_policy = [], [], []
    try:
        for round_ in range(ROUNDS):
            name = databases.unique_name("bench_mig")
            with server.connect(autocommit=True) as admin:
                admin.execute(f'create database "{name}"')
            with server.connect(name, autocommit=True) as conn:
                apply_bootstrap(conn, migrate_password=server.migrate_password)
            url = server.migrate_url(name)  # as postgres, no superuser: as supakit migrate runs
            full.append(timed(lambda: migrate(url, project)))
            noop.append(timed(lambda: migrate(url, project)))
            policy.write_text(policy.read_text() + f"-- bench edit {round_}\n")
            result: list = []
            one_policy.append(timed(lambda: result.append(migrate(url, project))))
            assert result[0].repeatables == [policy.relative_to(project.root).as_posix()], result
            databases.drop(server, name)
    finally:
        server.stop()
        shutil.rmtree(project.root, ignore_errors=True)

    figures = {
        "full_s": round(statistics.median(full), 4),
        "noop_s": round(statistics.median(noop), 4),
        "one_policy_s": round(statistics.median(one_policy), 4),
    }
    figures["noop_vs_full"] = round(figures["noop_s"] / figures["full_s"], 3)
    figures["one_policy_vs_full"] = round(figures["one_policy_s"] / figures["full_s"], 3)
    print(f"migrate from empty  {figures['full_s']:.4f} s (median of {ROUNDS})")
    print(f"no-op migrate       {figures['noop_s']:.4f} s  noop_vs_full {figures['noop_vs_full']}  (target <= 0.05)")
    print(f"one policy changed  {figures['one_policy_s']:.4f} s  one_policy_vs_full {figures['one_policy_vs_full']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
