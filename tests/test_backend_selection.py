"""Backend selection errors are one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from helpers import ROOT


def _run_pytest(tmp_path, **env):
    (tmp_path / "test_probe.py").write_text("def test_probe(db):\n    assert db\n")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SUPAKIT_TEST")}
    full_env.update(env, SUPAKIT_PROJECT_DIR=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=120,
    )


def test_unknown_backend_is_a_usage_error(tmp_path):
    result = _run_pytest(tmp_path, SUPAKIT_TEST_BACKEND="bogus")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "unknown backend 'bogus'" in output
    assert "Traceback" not in output


def test_unreachable_url_fails_with_one_line_reason(tmp_path):
    result = _run_pytest(
        tmp_path,
        SUPAKIT_TEST_BACKEND="url",
        SUPAKIT_TEST_DATABASE_URL="postgresql://nobody:secret@127.0.0.1:1/none",
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "cannot reach SUPAKIT_TEST_DATABASE_URL 127.0.0.1:1" in output
    assert "Traceback" not in output


def test_url_backend_without_url_names_the_variable(tmp_path):
    result = _run_pytest(tmp_path, SUPAKIT_TEST_BACKEND="url")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "SUPAKIT_TEST_DATABASE_URL" in output
    assert "Traceback" not in output


def test_no_docker_and_no_binaries_is_one_clear_error(tmp_path):
    result = _run_pytest(
        tmp_path,
        SUPAKIT_TEST_BACKEND="auto",
        DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock",
        SUPAKIT_PG_BIN=str(tmp_path / "no-postgres"),
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no Postgres backend: no Docker engine answers" in output
    assert "SUPAKIT_PG_BIN=" in output and "no-postgres has no initdb and pg_ctl" in output
    assert "Traceback" not in output
