"""PgBouncer in transaction mode: supakit.Pool's services and plain psycopg through it."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from supakit import Pool
from supakit.providers.base import free_port
from supakit.stack import processes
from supakit.stack.pooler import BINARY, PoolerConfig, start_pooler


@pytest.fixture(scope="module")
def pooler_port(supakit_session, tmp_path_factory):
    """A PgBouncer in front of the session's server, for the roles the stack lets through."""
    server = supakit_session.server
    # Not under pytest's tmp_path (mode 0700): as root, PgBouncer runs as the postgres OS user.
    directory = Path(tempfile.mkdtemp(prefix="supakit-pooler-"))
    directory.chmod(0o755)
    config = PoolerConfig(free_port(), server.port, {
        server.user: server.password, "authenticator": supakit_session.authenticator_password})
    process = start_pooler(config, directory / "pgbouncer")
    yield config.port
    processes.stop(process.pid, BINARY)
    shutil.rmtree(directory, ignore_errors=True)


def through(port: int, url: str) -> str:
    """The same URL, on the pooler's port."""
    head, _, tail = url.rpartition("@")
    host_port, _, dbname = tail.partition("/")
    return f"{head}@127.0.0.1:{port}/{dbname}"


def test_pool_services_run_through_the_pooler(pooler_port, supakit_session, database, make_user, db):
    alice = make_user(name="Alice")
    url = through(pooler_port, supakit_session.server.url(database, user="authenticator",
                                                          password=supakit_session.authenticator_password))
    # No server-side prepared statements: the next transaction may run on another server connection.
    with Pool(url, max_size=4, prepare_threshold=None) as pool:
        me = pool.as_user(alice.id, alice.email)
        org = me.organizations.create("Pooled", f"pooled-{uuid.uuid4().hex[:8]}")
        created = [me.projects.create(org.id, f"p{i}") for i in range(8)]  # past psycopg's prepare threshold
        assert sorted(p.name for p in me.projects.list(org.id)) == sorted(p.name for p in created)
        me.projects.delete(created[0].id)
        assert me.projects.restore(created[0].id).deleted_at is None
        me.projects.delete(created[1].id)
        db.execute("update public.projects set deleted_at = now() - interval '40 days' where id = %s",
                   (created[1].id,))
        admin = pool.as_service_role()
        assert admin.projects.empty_trash(older_than=timedelta(days=30)) >= 1
        assert len(me.projects.list(org.id)) == 7
        # Each request's role and claims are transaction-local: nothing is left on the server connection.
        with pool.pool.connection() as conn:
            row = conn.execute("select current_user, coalesce(current_setting('request.jwt.claims', true), '')").fetchone()
        assert row == ("authenticator", "")
    audited = db.execute("select count(*) from public.audit_logs where organization_id = %s", (org.id,)).fetchone()[0]
    assert audited >= 8


def test_plain_psycopg_through_the_pooler(pooler_port, supakit_session, database):
    url = through(pooler_port, supakit_session.server.url(database))
    with psycopg.connect(url, prepare_threshold=None, autocommit=True) as conn:
        for i in range(10):
            assert conn.execute("select %s::int + 1", (i,)).fetchone() == (i + 1,)
        with conn.transaction():
            conn.execute("select set_config('supakit.probe', 'x', true)")
            assert conn.execute("select current_setting('supakit.probe')").fetchone() == ("x",)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(through(pooler_port, supakit_session.server.url(database, password="wrong")), connect_timeout=5)
