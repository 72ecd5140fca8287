"""Per-test databases made ahead and dropped behind, off the test's own time.

A test's database costs the server a clone (~16 ms with `strategy file_copy`), a
connection (~8 ms, most of it the SCRAM handshake) and a drop (~8 ms). None of that
needs to happen while the test runs: two threads, each on its own admin
connection, keep `size` clones ready with a connection already open on each, and
drop the databases tests give back. On two cores the server works on the next
test's database while pytest runs this one.
"""

from __future__ import annotations

import queue
import threading

import psycopg

from ..providers.base import PostgresServer
from .databases import clone, clone_on, drop, drop_on

Ready = tuple[str, "psycopg.Connection | None"]


class ClonePool:
    """`take` a database name, `connect` to it (the connection made ahead, if any),
    `give_back` the name when the test is done; `close` drops everything left.

    A test that finds no clone ready waits for the one under way instead of making
    a second beside it (which would slow both); only if the cloning thread has died
    (a server gone away) does it clone for itself, so the error surfaces in the test.
    """

    def __init__(self, server: PostgresServer, template: str, size: int = 2, prefix: str = "supakit_test"):
        self.server, self.template, self.prefix = server, template, prefix
        self._ready: queue.Queue[Ready] = queue.Queue()
        self._wanted = threading.Semaphore(size)
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._opened: dict[str, psycopg.Connection] = {}
        self._closing = threading.Event()
        self._cloner = threading.Thread(target=self._clone_ahead, name="supakit-clone-ahead", daemon=True)
        self._dropper = threading.Thread(target=self._drop_behind, name="supakit-drop-behind", daemon=True)
        self._cloner.start()
        self._dropper.start()

    def take(self) -> str:
        name, conn = self._next_ready()
        if conn is not None:
            self._opened[name] = conn
        self._wanted.release()
        return name

    def connect(self, name: str) -> psycopg.Connection:
        """An autocommit connection to `name`: the one opened ahead, else a new one."""
        conn = self._opened.pop(name, None)
        if conn is not None and not conn.closed:
            return conn
        return self.server.connect(name, autocommit=True)

    def give_back(self, name: str) -> None:
        conn = self._opened.pop(name, None)
        if conn is not None:
            conn.close()
        self._drops.put(name)

    def close(self) -> None:
        self._closing.set()
        self._wanted.release()
        self._drops.put(None)
        self._cloner.join(timeout=60)
        self._dropper.join(timeout=60)
        leftovers = [name for name, _ in self._drain_ready()] + list(self._opened)
        for conn in self._opened.values():
            conn.close()
        while not self._drops.empty():
            if name := self._drops.get_nowait():
                leftovers.append(name)
        for name in leftovers:
            drop(self.server, name)

    def _next_ready(self) -> Ready:
        while True:
            try:
                return self._ready.get(timeout=0.2)
            except queue.Empty:
                if not self._cloner.is_alive():
                    return clone(self.server, self.template, self.prefix), None

    def _clone_ahead(self) -> None:
        try:
            with self.server.connect(autocommit=True) as admin:
                while True:
                    self._wanted.acquire()
                    if self._closing.is_set():
                        return
                    name = clone_on(admin, self.template, self.prefix)
                    self._ready.put((name, self._open(name)))
        except psycopg.Error:
            return  # a dead server: tests clone for themselves and see the error there

    def _open(self, name: str) -> psycopg.Connection | None:
        try:
            return self.server.connect(name, autocommit=True)
        except psycopg.Error:
            return None  # the test connects itself, and sees why if it fails again

    def _drop_behind(self) -> None:
        try:
            with self.server.connect(autocommit=True) as admin:
                while (name := self._drops.get()) is not None:
                    drop_on(admin, name)
        except psycopg.Error:
            return  # what is left is dropped by `close`, or by the server going away

    def _drain_ready(self) -> list[Ready]:
        items = []
        while not self._ready.empty():
            name, conn = self._ready.get_nowait()
            if conn is not None:
                conn.close()
            items.append((name, conn))
        return items
