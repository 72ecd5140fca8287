"""The clone pool behind the `db` fixture: made ahead, connected ahead, dropped behind."""

from __future__ import annotations

import time

import psycopg
import pytest

from supakit.testing.clone_pool import ClonePool


def databases_named(server, prefix: str) -> set[str]:
    with server.connect(autocommit=True) as admin:
        rows = admin.execute("select datname from pg_database where datname like %s", (prefix + "%",)).fetchall()
    return {name for (name,) in rows}


def test_a_taken_database_is_a_migrated_clone_with_its_connection_open(supakit_server, supakit_template):
    pool = ClonePool(supakit_server, supakit_template, size=2, prefix="pool_probe")
    try:
        name = pool.take()
        conn = pool.connect(name)
        assert conn.info.dbname == name
        assert conn.autocommit
        assert conn.execute("select to_regclass('public.organizations') is not null").fetchone()[0]
        conn.close()
        pool.give_back(name)
    finally:
        pool.close()


def test_given_back_and_unused_databases_are_dropped(supakit_server, supakit_template):
    pool = ClonePool(supakit_server, supakit_template, size=2, prefix="pool_drop")
    taken = [pool.take() for _ in range(3)]
    for name in taken:
        pool.give_back(name)
    deadline = time.monotonic() + 30
    while databases_named(supakit_server, "pool_drop") & set(taken) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not databases_named(supakit_server, "pool_drop") & set(taken), "given back, not dropped behind"
    pool.close()
    assert databases_named(supakit_server, "pool_drop") == set(), "clones made ahead outlived close()"


def test_more_takes_than_the_pool_holds_are_served_in_turn(supakit_server, supakit_template):
    pool = ClonePool(supakit_server, supakit_template, size=1, prefix="pool_wait")
    try:
        names = [pool.take() for _ in range(4)]
        for name in names:
            pool.give_back(name)
        assert len(set(names)) == 4
        assert all(name.startswith("pool_wait_") for name in names)
    finally:
        pool.close()


def test_a_missing_template_fails_in_the_test_that_asks(supakit_server):
    pool = ClonePool(supakit_server, "no_such_template", size=1, prefix="pool_broken")
    try:
        with pytest.raises(psycopg.errors.InvalidCatalogName, match="no_such_template"):
            pool.take()
    finally:
        pool.close()
