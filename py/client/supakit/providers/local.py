"""Postgres from local binaries: `initdb` + `pg_ctl` into a directory we own.

Postgres refuses to run as root, so when we are root every server process runs as
the `postgres` OS user, on a data directory that user owns.
"""

from __future__ import annotations

import glob
import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import BackendUnavailable, BinaryNotFound
from ..stack import processes
from .base import ADMIN_ROLE, MIGRATE_ROLE, PostgresServer, free_port, wait_until_accepting

TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def find_bindir() -> Path:
    """`SUPAKIT_PG_BIN` (exactly: a wrong one is an error, not a fallback), else the
    newest Debian install, else `initdb` on PATH."""
    explicit = config.env("SUPAKIT_PG_BIN")
    if explicit:
        if _has_server_binaries(Path(explicit)):
            return Path(explicit)
        raise BinaryNotFound(f"SUPAKIT_PG_BIN={explicit} has no initdb and pg_ctl")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(os.path.realpath(on_path)).parent))
    for candidate in candidates:
        if _has_server_binaries(Path(candidate)):
            return Path(candidate)
    raise BinaryNotFound(
        "PostgreSQL server binaries not found (initdb, pg_ctl): install them "
        "(apt-get install postgresql-15) or set SUPAKIT_PG_BIN"
    )


def _has_server_binaries(directory: Path) -> bool:
    return (directory / "initdb").exists() and (directory / "pg_ctl").exists()


def _version_key(path: str) -> float:
    try:
        return float(Path(path).parent.name)
    except ValueError:
        return 0.0


def _server_user() -> pwd.struct_passwd | None:
    """The OS user to run Postgres as: `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(config.env("SUPAKIT_PG_OS_USER", "postgres"))
    except KeyError as exc:
        raise BackendUnavailable(
            "running as root, and Postgres refuses root: create a `postgres` OS user "
            "or set SUPAKIT_PG_OS_USER"
        ) from exc


def _run_as(user: pwd.struct_passwd | None, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    def drop() -> None:
        if user is not None:
            os.setgid(user.pw_gid)
            os.initgroups(user.pw_name, user.pw_gid)
            os.setuid(user.pw_uid)

    env = dict(os.environ, LC_ALL="C", LANG="C")
    if user is not None:
        env.update(HOME=user.pw_dir, USER=user.pw_name)
    result = subprocess.run(argv, preexec_fn=drop, env=env, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackendUnavailable(f"{Path(argv[0]).name} failed: {detail[-1] if detail else result.returncode}")
    return result


@dataclass
class LocalCluster:
    """A cluster in `directory`: data in `data/`, log in `postgres.log`, socket alongside.

    Its superuser is `supabase_admin`, as on Supabase, so that the bootstrap can make
    `postgres` the non-superuser that migrates; clusters made by an older supakit have
    `postgres` as their superuser (and migrate as it).
    """

    directory: Path
    port: int
    password: str
    settings: dict[str, str]
    superuser: str = ADMIN_ROLE

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        bindir, user = find_bindir(), _server_user()
        self.directory.mkdir(parents=True, exist_ok=True)
        pwfile = self.directory / "pwfile"
        pwfile.write_text(self.password + "\n")
        if user is not None:
            for path in (self.directory, pwfile):
                os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(self.directory, 0o700)
        try:
            _run_as(user, [
                str(bindir / "initdb"), "-D", str(self.data), "-U", self.superuser,
                "--pwfile", str(pwfile), "--auth-host=scram-sha-256", "--auth-local=trust",
                "-E", "UTF8", "--locale=C", "--no-sync",
            ])
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self) -> None:
        bindir, user = find_bindir(), _server_user()
        crashed = self.postmaster_pid() is not None and not self.running()
        if crashed:
            # A crashed server's lock file: its pid is dead (or a zombie nobody reaped,
            # which Postgres would take for a live postmaster), so it is safe to remove.
            (self.data / "postmaster.pid").unlink(missing_ok=True)
        options = " ".join(
            [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.directory}"]
            + [f"-c {key}={value}" for key, value in self.settings.items()]
        )
        argv = [str(bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start"]
        # After a crash, the dead postmaster's backends hold its shared memory for a
        # moment ("pre-existing shared memory block is still in use"): retry briefly.
        deadline = time.monotonic() + (15 if crashed else 0)
        while True:
            try:
                _run_as(user, argv)
                return
            except BackendUnavailable:
                if time.monotonic() > deadline:
                    raise
                if not self.running():
                    (self.data / "postmaster.pid").unlink(missing_ok=True)
                time.sleep(0.3)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running(self) -> bool:
        """By the postmaster's pid, which must be a live `postgres`: not a zombie, not a reused number."""
        return processes.alive(self.postmaster_pid(), "postgres")

    def stop(self, mode: str = "fast") -> None:
        bindir, user = find_bindir(), _server_user()
        if self.initialized():
            try:
                _run_as(user, [str(bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
            except BackendUnavailable:
                pass  # not running

    def server(self, backend: str = "local") -> PostgresServer:
        return PostgresServer(
            backend=backend, host="127.0.0.1", port=self.port, user=self.superuser,
            password=self.password, description=f"local binaries in {self.directory}",
            migrate_user=MIGRATE_ROLE if self.superuser != MIGRATE_ROLE else None,
        )


def scratch_dir() -> str | None:
    """Where throwaway clusters live: `SUPAKIT_PG_SCRATCH`, else /dev/shm (memory: a
    cloned database is ~8 MB of file copies, which a busy disk makes slow), else the
    system temp dir."""
    explicit = config.env("SUPAKIT_PG_SCRATCH")
    if explicit:
        return explicit
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def start_local(settings: dict[str, str] | None = None) -> PostgresServer:
    """A throwaway cluster in a temporary directory, removed when stopped."""
    directory = Path(tempfile.mkdtemp(prefix="supakit-pg-", dir=scratch_dir()))
    cluster = LocalCluster(directory, free_port(), "postgres", settings or TEST_SETTINGS)

    def teardown() -> None:
        cluster.stop(mode="immediate")
        shutil.rmtree(directory, ignore_errors=True)

    try:
        cluster.init()
        cluster.start()
        server = cluster.server()
        server._stop = teardown
        wait_until_accepting(server)
        return server
    except BaseException:
        teardown()
        raise


def reachable_by_server_user(path: Path) -> bool:
    """Whether the OS user Postgres runs as can create a data directory in `path`:
    every ancestor searchable by it, `path` itself writable (or made by us for it)."""
    user = _server_user()
    if user is None:
        return True
    groups = {g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem} | {user.pw_gid}
    for ancestor in [path, *path.parents]:
        try:
            st = ancestor.stat()
        except FileNotFoundError:
            continue  # made by us below an ancestor that is checked
        if st.st_uid == user.pw_uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True
