"""docs/demo.py, the README's example app, runs against the suite's real PostgREST too."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "docs" / "demo.py"


def test_the_demo_tour_runs(rest, make_user, capsys):
    spec = importlib.util.spec_from_file_location("supakit_demo", DEMO)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    demo.tour(rest.url, rest.anon_key, lambda email: make_user(email=email).token)
    out = capsys.readouterr().out
    assert out.rstrip().endswith("demo: ok")
    for step in ("created organization", "bob accepted", "in the trash", "restored", "audit log"):
        assert step in out
