"""The auth server's process: the ASGI app under uvicorn, on a loopback port behind the gateway."""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .. import processes
from ...providers.base import free_port
from .settings import AuthSettings

APP = "supakit.stack.auth.app:create_app"


def alive(pid: int | None) -> bool:
    """Whether `pid` runs this auth server (its command line names the app), not a reused number."""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return APP.encode() in cmdline


def stop(pid: int | None, timeout: float = 10.0) -> None:
    if not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.02)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


@dataclass
class AuthServer:
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop(self.pid)


def start_auth(settings: AuthSettings, directory: Path, *, port: int | None = None, detach: bool = False,
               timeout: float = 30.0) -> AuthServer:
    """Start uvicorn with the app in its own process; its log (links to confirm emails) is `auth.log`."""
    port = port or free_port()
    log = directory / "auth.log"
    env = os.environ | settings.to_env()
    # The package must import in the child exactly as here (an editable or a source checkout).
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[3])] +
                                        [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    argv = [sys.executable, "-m", "uvicorn", "--factory", APP, "--host", "127.0.0.1", "--port", str(port),
            "--no-access-log", "--log-level", "warning", "--no-server-header"]
    process = processes.spawn(argv, log, detach=detach, env=env)
    try:
        processes.wait_ready(lambda: processes.http_ok(f"http://127.0.0.1:{port}/health"), "auth server", log,
                             timeout, process)
    except BaseException:
        stop(process.pid)
        raise
    return AuthServer(port, process.pid)
