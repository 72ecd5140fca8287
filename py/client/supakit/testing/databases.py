"""Template and per-test databases: migrate once, clone in milliseconds.

`create database ... template` copies a migrated database far faster than
running the migrations again, and needs no other session on the template.
"""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql

from ..bootstrap import apply_bootstrap
from ..project import Project
from ..providers.base import PostgresServer


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def create_migrated(server: PostgresServer, name: str, project: Project, authenticator_password: str | None = None) -> str:
    """A new database with the compat bootstrap and every migration applied (tests, benches).

    The superuser creates it and bootstraps it; the migrations run as the server's
    migrate role (`postgres`, no superuser), so one that needs a superuser fails
    here as it would on Supabase.
    """
    from ..migrate import migrate

    with server.connect(autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    with server.connect(name, autocommit=True) as conn:
        apply_bootstrap(conn, authenticator_password=authenticator_password, migrate_password=server.migrate_password)
    migrate(server.migrate_url(name), project)
    return name


def create_template(server: PostgresServer, project: Project, authenticator_password: str) -> str:
    """A migrated (and, unless `test-seed = false`, seeded) database marked as template:
    each test's database is a copy of it."""
    name = create_migrated(server, unique_name("supakit_tpl"), project, authenticator_password)
    if project.settings.test_seed:
        from ..seed import apply_seed

        apply_seed(server.migrate_url(name), project)
    with server.connect(autocommit=True) as admin:
        admin.execute(sql.SQL("alter database {} is_template true").format(sql.Identifier(name)))
    return name


def clone(server: PostgresServer, template: str, prefix: str = "supakit_test") -> str:
    """A copy of `template`. `strategy file_copy` (Postgres 15+) copies files instead of
    writing every block through the WAL: about twice as fast for a small database."""
    with server.connect(autocommit=True) as admin:
        return _clone_on(admin, template, prefix)


def drop(server: PostgresServer, name: str, *, template: bool = False, maintenance_db: str = "postgres") -> None:
    """`maintenance_db`: where to connect from (another one when `name` is `postgres` itself)."""
    with server.connect(maintenance_db, autocommit=True) as admin:
        if template:
            admin.execute(sql.SQL("alter database {} is_template false").format(sql.Identifier(name)))
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


class ClonePool:
    """Per-test databases made ahead and dropped behind, off the test's own time.

    One background thread, on one admin connection, keeps `size` clones of the
    template ready and drops the databases tests gave back; a test that finds none
    ready clones one itself. `close` drops everything left, synchronously.
    """

    def __init__(self, server: PostgresServer, template: str, size: int = 2, prefix: str = "supakit_test"):
        import queue
        import threading

        self.server, self.template, self.size, self.prefix = server, template, size, prefix
        self._ready: queue.Queue[str] = queue.Queue()
        self._work: queue.Queue[str | None] = queue.Queue()  # "" = make one clone; a name = drop it
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="supakit-clone-pool", daemon=True)
        self._thread.start()
        for _ in range(size):
            self._work.put("")

    def take(self) -> str:
        import queue

        try:
            name = self._ready.get_nowait()
        except queue.Empty:
            name = clone(self.server, self.template, self.prefix)
        self._work.put("")
        return name

    def give_back(self, name: str) -> None:
        self._work.put(name)

    def _run(self) -> None:
        try:
            with self.server.connect(autocommit=True) as admin:
                while (item := self._work.get()) is not None:
                    if item:
                        _drop_on(admin, item)
                    elif self._ready.qsize() < self.size:
                        self._ready.put(_clone_on(admin, self.template, self.prefix))
        except BaseException as exc:  # a dead server: tests fall back to cloning themselves
            self._failed = exc

    def close(self) -> None:
        self._work.put(None)
        self._thread.join(timeout=60)
        leftovers = []
        while not self._ready.empty():
            leftovers.append(self._ready.get_nowait())
        while not self._work.empty():
            item = self._work.get_nowait()
            if item:
                leftovers.append(item)
        for name in leftovers:
            drop(self.server, name)


def _clone_on(admin: psycopg.Connection, template: str, prefix: str) -> str:
    name = unique_name(prefix)
    statement = sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template))
    if admin.info.server_version >= 150000:
        statement += sql.SQL(" strategy file_copy")
    admin.execute(statement)
    return name


def _drop_on(admin: psycopg.Connection, name: str) -> None:
    admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
