"""Child processes of the stack (PostgREST, nginx): start, wait for, stop.

The stack's processes outlive the `supakit up` that started them, so they are
found again by pid; a pid only counts as ours if its command line names the
binary, because after a crash or reboot the number may belong to anything.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from .. import config
from ..errors import BackendUnavailable, BinaryNotFound


def find_binary(name: str, variable: str, package: str) -> Path:
    """A system binary the stack runs: `variable` if set, else PATH, else /usr/sbin (where
    Debian puts nginx and pgbouncer, off a non-root PATH)."""
    found = config.env(variable) or shutil.which(name) or f"/usr/sbin/{name}"
    if not os.access(found, os.X_OK):
        raise BinaryNotFound(f"{name} not found: install it (apt-get install {package}) or set {variable}")
    return Path(found)


def spawn(argv: list[str], log: Path, *, detach: bool = False, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `argv` with output appended to `log`; `detach` puts it in its own session."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=detach, env=env,
        )


def alive(pid: int | None, binary: str) -> bool:
    """Whether `pid` runs and is `binary` (by its command line), not a reused number."""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and binary.encode() in cmdline[0]


def stop(pid: int | None, binary: str, timeout: float = 10.0, sig: int = signal.SIGTERM) -> None:
    if not alive(pid, binary):
        return
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while alive(pid, binary) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.02)
    if alive(pid, binary):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_ready(
    probe: Callable[[], bool],
    what: str,
    log: Path,
    timeout: float = 30.0,
    process: subprocess.Popen | None = None,
) -> None:
    """Poll `probe` until true; fail with the log's last line if the process died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BackendUnavailable(f"{what} exited with status {process.returncode}: {last_line(log)}")
        if probe():
            return
        time.sleep(0.03)
    raise BackendUnavailable(f"{what} not ready within {timeout:.0f}s: {last_line(log)}")


def http_ok(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        return httpx.get(url, headers=headers, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return f"(no log at {log})"
    return lines[-1].strip() if lines else f"(empty log {log})"
