"""supakit.Pool and AsyncPool under many callers and a server that kills connections.

100 callers on a pool of 10: nobody waits forever (PoolExhausted after the configured
wait), no connection leaks, a connection killed with pg_terminate_backend mid-run
costs each caller at most one ConnectionLost, and claims never leak from one caller
into the next one's transaction. Real Postgres, real roles, real RLS.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import psycopg
import pytest

from supakit import AsyncPool, ConnectionLost, Pool, PoolExhausted

pytestmark = pytest.mark.slow

CALLERS, POOL_SIZE = 100, 10


@pytest.fixture
def pool_url(supakit_server, database, supakit_session) -> str:
    return supakit_server.url(database, user="authenticator", password=supakit_session.authenticator_password)


@pytest.fixture
def tenants(pool_url, make_user):
    """Two users, each admin of an organization with one project."""
    out = []
    with Pool(pool_url, max_size=2) as pool:
        for _ in range(2):
            user = make_user()
            client = pool.as_user(user.id, user.email)
            org = client.organizations.create("Org", f"org-{uuid.uuid4().hex[:10]}")
            client.projects.create(org.id, "first")
            out.append((user, org))
    return out


def backends(db, user: str = "authenticator") -> int:
    return db.execute(
        "select count(*) from pg_stat_activity where usename = %s and datname = current_database()", (user,)
    ).fetchone()[0]


def settled_backends(db, want: int, seconds: float = 5.0) -> int:
    """Backends exit a moment after their client closes: poll until `want` or time runs out."""
    deadline = time.monotonic() + seconds
    while (n := backends(db)) != want and time.monotonic() < deadline:
        time.sleep(0.05)
    return n


def kill_pool_connections(db) -> int:
    return db.execute(
        "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity "
        "where usename = 'authenticator' and datname = current_database()"
    ).fetchone()[0]


def test_a_caller_waits_at_most_the_configured_time_then_gets_a_clear_error(pool_url, tenants):
    user, _ = tenants[0]
    with Pool(pool_url, max_size=1, timeout=0.5) as pool:
        with pool.request(user.claims):
            started = time.monotonic()
            with pytest.raises(PoolExhausted, match=r"no connection free within 0\.5s \(all 1 busy\)"):
                with pool.request(user.claims):
                    pass
            waited = time.monotonic() - started
        assert 0.45 <= waited < 2.0
        with pool.request(user.claims) as conn:  # and the pool serves again once freed
            assert conn.execute("select 1").fetchone() == (1,)


def test_claims_never_leak_between_two_users_alternating_on_one_connection(pool_url, tenants, db):
    (alice, alice_org), (bob, bob_org) = tenants
    with Pool(pool_url, min_size=1, max_size=1) as pool:
        pids = set()
        for round_ in range(20):
            user, org, other = (alice, alice_org, bob_org) if round_ % 2 == 0 else (bob, bob_org, alice_org)
            with pool.request(user.claims) as conn:
                pids.add(conn.info.backend_pid)
                assert conn.execute("select auth.uid()::text, current_user").fetchone() == (user.id, "authenticated")
                seen = {r[0] for r in conn.execute("select organization_id::text from public.projects")}
                assert seen == {str(org.id)}, "a user sees only their organization's projects"
                assert str(other.id) not in seen
            if round_ == 7:  # a request that fails half-way leaves nothing behind either
                with pytest.raises(psycopg.errors.DivisionByZero), pool.request(user.claims) as conn:
                    conn.execute("select 1 / 0")
        assert len(pids) == 1, "both users really shared one connection"
        # Between requests the connection is the authenticator again, with no claims at all.
        with pool.pool.connection() as raw:
            row = raw.execute(
                "select current_user, coalesce(current_setting('request.jwt.claims', true), ''), "
                "coalesce(current_setting('request.headers', true), '')"
            ).fetchone()
            assert row == ("authenticator", "", "")


def test_hundred_callers_on_ten_connections_with_kills_lose_nothing_and_leak_nothing(pool_url, tenants, db):
    (alice, alice_org), _ = tenants
    seconds = 10.0
    errors: dict[int, list[BaseException]] = {i: [] for i in range(CALLERS)}
    done = {i: 0 for i in range(CALLERS)}
    stop = time.monotonic() + seconds

    with Pool(pool_url, min_size=POOL_SIZE, max_size=POOL_SIZE, timeout=5.0) as pool:
        pool.open(wait=True)
        client = pool.as_user(alice.id)

        def caller(i: int) -> None:
            while time.monotonic() < stop:
                try:
                    client.projects.list(alice_org.id)
                    done[i] += 1
                except (ConnectionLost, PoolExhausted) as exc:
                    errors[i].append(exc)
                time.sleep(0.001)

        threads = [threading.Thread(target=caller, args=(i,)) for i in range(CALLERS)]
        for t in threads:
            t.start()
        time.sleep(seconds / 2)
        killed = kill_pool_connections(db)
        for t in threads:
            t.join(seconds + 30)
        assert not any(t.is_alive() for t in threads), "nobody waits forever"

        assert killed >= 1
        assert all(n > 0 for n in done.values()), "every caller was served"
        for i, errs in errors.items():
            assert len(errs) <= 1, f"caller {i} saw {len(errs)} errors: {errs}"
            for exc in errs:
                assert isinstance(exc, ConnectionLost), f"caller {i}: {exc!r}"
                assert "closed the connection mid-request" in str(exc)
        # No leak: every connection is back, the pool holds its size, the server agrees.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stats = pool.pool.get_stats()
            if stats["pool_available"] == stats["pool_size"] == POOL_SIZE:
                break
            time.sleep(0.1)
        stats = pool.pool.get_stats()
        assert stats["pool_available"] == stats["pool_size"] == POOL_SIZE, stats
        assert stats.get("requests_waiting", 0) == 0
        assert settled_backends(db, POOL_SIZE) == POOL_SIZE
    assert settled_backends(db, 0) == 0, "closing the pool closes every connection"


def test_async_pool_hundred_tasks_kills_and_claims(pool_url, tenants, db):
    (alice, alice_org), (bob, bob_org) = tenants
    seconds = 4.0

    async def run() -> tuple[dict[int, list[BaseException]], dict[int, int]]:
        errors: dict[int, list[BaseException]] = {i: [] for i in range(CALLERS)}
        done = {i: 0 for i in range(CALLERS)}
        async with AsyncPool(pool_url, min_size=POOL_SIZE, max_size=POOL_SIZE, timeout=5.0) as pool:
            clients = [(pool.as_user(alice.id), alice_org), (pool.as_user(bob.id), bob_org)]
            stop = time.monotonic() + seconds

            async def caller(i: int) -> None:
                client, org = clients[i % 2]
                while time.monotonic() < stop:
                    try:
                        projects = await client.projects.list()
                        assert {p.organization_id for p in projects} == {org.id}, "claims leaked"
                        done[i] += 1
                    except ConnectionLost as exc:
                        errors[i].append(exc)

            async def killer() -> None:
                await asyncio.sleep(seconds / 2)
                await asyncio.to_thread(kill_pool_connections, db)

            await asyncio.gather(killer(), *(caller(i) for i in range(CALLERS)))
            for _ in range(100):
                stats = pool.pool.get_stats()
                if stats["pool_available"] == stats["pool_size"] == POOL_SIZE:
                    break
                await asyncio.sleep(0.1)
            assert stats["pool_available"] == stats["pool_size"] == POOL_SIZE, stats

            async with AsyncPool(pool_url, max_size=1, timeout=0.3) as tiny:
                async with tiny.request(alice.claims):
                    with pytest.raises(PoolExhausted, match=r"within 0\.3s"):
                        async with tiny.request(bob.claims):
                            pass
        return errors, done

    errors, done = asyncio.run(run())
    assert all(n > 0 for n in done.values())
    assert all(len(e) <= 1 for e in errors.values()), {i: e for i, e in errors.items() if len(e) > 1}
    assert settled_backends(db, 0) == 0
