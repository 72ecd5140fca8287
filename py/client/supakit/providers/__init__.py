"""Choose and start a Postgres backend: `auto | container | local | url`.

The choice is made from the project's settings (`test-backend`, `test-image`, which
`SUPAKIT_TEST_BACKEND` / `SUPAKIT_TEST_IMAGE` override) by `plan_backend`, cheaply
and without raising, so the pytest header can name it before any test needs it;
`start_server` acts on the plan and raises its error only then.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import config
from ..config import BACKENDS, DEFAULT_IMAGE
from ..errors import BackendUnavailable, BinaryNotFound, ConfigError
from .base import PostgresServer

__all__ = ["BACKENDS", "DEFAULT_IMAGE", "BackendPlan", "plan_backend", "start_server"]

INSTALL_HINT = (
    "install Docker (e.g. apt-get install docker.io, then start dockerd) with "
    "`pip install 'supakit[test]'`, or PostgreSQL's server binaries (e.g. apt-get install "
    "postgresql-15, or set SUPAKIT_PG_BIN); or set SUPAKIT_TEST_BACKEND=url with SUPAKIT_TEST_DATABASE_URL"
)


@dataclass(frozen=True)
class BackendPlan:
    """What a session will start: `backend` is never `auto` here; `error` says why none can."""

    backend: str
    image: str
    detail: str
    error: str | None = None

    def header(self) -> str:
        if self.error:
            return f"supakit: no backend ({self.error})"
        return f"supakit: backend={self.backend} ({self.detail})"


def plan_backend(backend: str, image: str = DEFAULT_IMAGE) -> BackendPlan:
    """Decide `auto` up front: a container when Docker answers and has the image (or no
    local binaries exist to fall back to), else local binaries."""
    backend = backend.strip().lower()
    if backend not in BACKENDS:
        return BackendPlan(backend, image, "", f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if backend == "url":
        return BackendPlan("url", image, "SUPAKIT_TEST_DATABASE_URL")
    if backend == "container":
        return BackendPlan("container", image, f"image {image}")
    if backend == "local":
        return _local_plan(image, "initdb + pg_ctl")
    return _auto_plan(image)


def _local_plan(image: str, detail: str) -> BackendPlan:
    from .local import find_bindir

    try:
        bindir = find_bindir()
    except BinaryNotFound as exc:
        return BackendPlan("local", image, "", str(exc))
    return BackendPlan("local", image, f"{detail}, {bindir}")


def _auto_plan(image: str) -> BackendPlan:
    from .container import docker_available, image_present

    docker = docker_available()
    local = _local_plan(image, "auto: initdb + pg_ctl")
    if docker and image_present(image):
        return BackendPlan("container", image, f"auto: image {image}")
    if docker and local.error is None:
        return BackendPlan(
            "local", image,
            f"auto: Docker answers but has no image {image} (docker pull {image}, or set test-image); "
            f"using local binaries, {local.detail.split(', ', 1)[-1]}",
        )
    if docker:
        return BackendPlan("container", image, f"auto: image {image}, to be pulled")
    if local.error is None:
        return local
    return BackendPlan(
        "auto", image, "",
        f"no Postgres backend: no Docker engine answers and no local PostgreSQL binaries ({local.error}); {INSTALL_HINT}",
    )


def start_server(plan: BackendPlan) -> PostgresServer:
    """Start (or reach) the planned server; its error, if any, as one line."""
    if plan.error:
        raise BackendUnavailable(plan.error) if plan.backend != "url" else ConfigError(plan.error)
    if plan.backend == "url":
        from .url import connect_url

        url = config.env("SUPAKIT_TEST_DATABASE_URL")
        if not url:
            raise ConfigError("backend 'url' needs SUPAKIT_TEST_DATABASE_URL=postgresql://user:password@host:port/db")
        return connect_url(url)
    if plan.backend == "container":
        from .container import start_container

        return start_container(plan.image)
    from .local import start_local

    return start_local()
