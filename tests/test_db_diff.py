"""`supakit db diff`: hand-made changes to the local database, back as files that round-trip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from supakit.migrate.diff import split
from supakit.providers.base import free_port

from helpers import ROOT

pytestmark = pytest.mark.backend_independent  # the local stack runs its own Postgres

BY_HAND = """
create table public.notes (id bigint generated always as identity primary key, body text not null);
alter table public.notes enable row level security;
create policy notes_read on public.notes for select to authenticated using (true);
create function public.note_count() returns bigint language sql stable set search_path = ''
  as $$ select count(*) from public.notes $$;
"""


def test_split_sends_policies_and_functions_to_repeatable_files():
    parts = split(
        'create table "public"."t" (id int);\n\nset check_function_bodies = off;\n\n'
        "CREATE OR REPLACE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $function$ select 1; $function$;\n\n"
        'create policy "p"\non "public"."t"\nas permissive\nfor select\nto authenticated\nusing (true);\n',
        with_repeatables=True,
    )
    assert parts.migration == ['create table "public"."t" (id int);']
    assert len(parts.functions) == 1 and "FUNCTION public.f()" in parts.functions[0]
    assert list(parts.policies) == ["t"]
    flat = split('create policy "p" on "public"."t" for select to authenticated using (true);', with_repeatables=False)
    assert flat.policies == {} and len(flat.migration) == 1


@pytest.fixture
def stack_project():
    root = Path(tempfile.mkdtemp(prefix="supakit-diff-"))
    os.chmod(root, 0o755)
    shutil.copytree(ROOT / "sql", root / "sql", ignore=shutil.ignore_patterns("tests"))
    env = {**os.environ, "SUPAKIT_PROJECT_DIR": str(root)}
    env.pop("SUPAKIT_DATABASE_URL", None)

    def supakit(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "supakit", *args], cwd=root, env=env,
                                capture_output=True, text=True, timeout=300)
        assert not check or result.returncode == 0, result.stdout + result.stderr
        return result

    db_port = free_port()
    supakit("up", "--api-port", str(free_port()), "--db-port", str(db_port))
    try:
        yield root, supakit, f"postgresql://postgres:postgres@127.0.0.1:{db_port}/postgres"
    finally:
        supakit("down", check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_diff_round_trips_through_files(stack_project):
    root, supakit, url = stack_project
    assert supakit("db", "diff").stderr.startswith("no changes")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(BY_HAND)
    shown = supakit("db", "diff").stdout
    assert 'create table "public"."notes"' in shown and 'create policy "notes_read"' in shown

    # The next number after the project's migrations (other branches add theirs).
    number = max(int(p.name[:4]) for p in (root / "sql/migrations").glob("[0-9][0-9][0-9][0-9]_*.sql")) + 1
    written = supakit("db", "diff", "-f", "add notes").stdout
    assert f"wrote sql/migrations/{number:04d}_add_notes.sql: migration" in written
    assert "wrote sql/policies/notes.sql: repeatable file" in written
    assert "wrote sql/functions/900_add_notes.sql: repeatable file" in written
    assert "missing-rollback" in written  # the rollback stub is the developer's to write
    migration = (root / f"sql/migrations/{number:04d}_add_notes.sql").read_text()
    assert "notes" in migration and "create policy" not in migration and "FUNCTION" not in migration
    assert "drop policy if exists" in (root / "sql/policies/notes.sql").read_text()

    supakit("db", "reset")
    assert supakit("db", "diff").stderr.startswith("no changes")
    with psycopg.connect(url) as conn:
        assert conn.execute("select public.note_count()").fetchone()[0] == 0
