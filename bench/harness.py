"""Harness costs, side by side in one run.

- clone_vs_migrate: a fresh per-test database cloned from the template, against
  creating one and migrating it from scratch (target <= 0.2);
- cold start of each backend that this machine can run (local; container when a
  Docker engine answers);
- per-test overhead: clone + connect + drop, what the `db` fixture costs.

Run: python bench/harness.py   (last line: one JSON object)
"""

from __future__ import annotations

import json
import os
import statistics
import time

from supakit.project import find_project
from supakit.providers.local import start_local
from supakit.testing import databases

ROUNDS = 7


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

    print(f"fresh migrate      {figures['migrate_s']:.4f} s")
    print(f"clone of template  {figures['clone_s']:.4f} s  (clone_vs_migrate {figures['clone_vs_migrate']})")
    print(f"per-test overhead  {figures['per_test_overhead_s']:.4f} s")
    print(f"cold start local   {figures['cold_start_local_s']} s; container {figures['cold_start_container_s']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
