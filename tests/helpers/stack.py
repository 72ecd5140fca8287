"""A stack of this project's own SQL, started with `supakit up` in a temp dir for a module's tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from supakit.providers.base import free_port

from helpers import ROOT


@contextmanager
def own_stack(cli: Callable[[Path], Any], prefix: str) -> Iterator[Any]:
    """`cli(root)` runs supakit in the project root; the stack is on free ports and torn down after."""
    # Not under pytest's tmp_path (mode 0700): the postgres OS user must reach .supakit/db.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o755)
    shutil.copytree(ROOT / "sql", root / "sql")
    runner = cli(root)
    try:
        runner.run("up", "--api-port", str(free_port()), "--db-port", str(free_port()))
        yield runner
    finally:
        runner.run("down", check=False)
        shutil.rmtree(root, ignore_errors=True)
