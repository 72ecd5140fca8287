"""Choose and start a Postgres backend: `auto | container | local | url`."""

from __future__ import annotations

import os

from ..errors import BackendUnavailable, BinaryNotFound, ConfigError
from .base import PostgresServer

BACKENDS = ("auto", "container", "local", "url")
DEFAULT_IMAGE = "postgres:15"


def start_server(backend: str | None = None, image: str | None = None) -> PostgresServer:
    """Start (or reach) a server for `backend`; `auto` prefers a container.

    `image` (for containers) defaults to `SUPAKIT_TEST_IMAGE`, else the official `postgres:15`.
    """
    image = image or os.environ.get("SUPAKIT_TEST_IMAGE") or DEFAULT_IMAGE
    backend = (backend or os.environ.get("SUPAKIT_TEST_BACKEND") or "auto").strip().lower()
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}: SUPAKIT_TEST_BACKEND must be one of {', '.join(BACKENDS)}")
    if backend == "url":
        from .url import connect_url

        url = os.environ.get("SUPAKIT_TEST_DATABASE_URL")
        if not url:
            raise ConfigError("backend 'url' needs SUPAKIT_TEST_DATABASE_URL=postgresql://user:password@host:port/db")
        return connect_url(url)
    if backend == "container":
        from .container import start_container

        return start_container(image)
    if backend == "local":
        from .local import start_local

        return start_local()
    return _start_auto(image)


def choose_auto() -> str:
    """`container` when a Docker engine answers, else `local` if its binaries exist."""
    from .container import docker_available
    from .local import find_bindir

    if docker_available():
        return "container"
    try:
        find_bindir()
    except BinaryNotFound as exc:
        raise BackendUnavailable(
            "no Postgres backend: no Docker engine answers (install and start Docker, "
            "e.g. apt-get install docker.io && dockerd &) and no local PostgreSQL binaries "
            f"({exc}); or set SUPAKIT_TEST_BACKEND=url with SUPAKIT_TEST_DATABASE_URL"
        ) from None
    return "local"


def _start_auto(image: str) -> PostgresServer:
    return start_server(choose_auto(), image)
