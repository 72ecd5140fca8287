"""What several benches share: seeding, timed GETs, and interleaved rounds.

Imported by the bench scripts beside it (`python bench/NAME.py` puts bench/ on
sys.path); not a benchmark itself.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx

SEEDED_TABLES = "auth.users, public.profiles, public.organizations, public.organization_members, public.projects"


def seed(server, dbname: str, script: str) -> float:
    """Run `script` (statements separated by `;` at line ends), then vacuum analyze: seconds taken."""
    started = time.perf_counter()
    with server.connect(dbname, autocommit=True) as conn:
        for statement in script.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"vacuum (analyze) {SEEDED_TABLES}")
    return time.perf_counter() - started


def fetch(http: httpx.Client, path: str) -> tuple[float, Any]:
    """One GET, timed without the JSON decoding: (seconds, rows)."""
    started = time.perf_counter()
    response = http.get(path)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()


def timed(call: Callable[[], Any]) -> Callable[[], tuple[float, Any]]:
    """`call`, returning (seconds, its result)."""
    def run() -> tuple[float, Any]:
        started = time.perf_counter()
        result = call()
        return time.perf_counter() - started, result
    return run


def interleaved(
    calls: dict[str, Callable[[], tuple[float, Any]]], rounds: int, warmup: int
) -> tuple[dict[str, float], dict[str, Any]]:
    """Warm each call up, then `rounds` rounds, each starting with the next call in turn
    so none always goes first: medians in ms, and each call's last warm-up result."""
    results: dict[str, Any] = {}
    for name, call in calls.items():
        for _ in range(warmup):
            results[name] = call()[1]
    times: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for round_ in range(rounds):
        k = round_ % len(names)
        for name in names[k:] + names[:k]:
            times[name].append(calls[name]()[0])
    return {name: statistics.median(t) * 1000 for name, t in times.items()}, results
