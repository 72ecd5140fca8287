"""Postgres in a Docker container, through testcontainers.

Runs on the official `postgres:15` image and on `supakit/postgres:15` (built offline by
`.ci/docker.sh`, whose entrypoint mimics the official one for what we use here).

The container shares the host's network and Postgres listens on 127.0.0.1 and a free
port: test traffic stays on loopback, and no container bridge address is ever used.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import BackendUnavailable, first_line
from .base import ADMIN_ROLE, MIGRATE_ROLE, PostgresServer, free_port, wait_until_accepting
from .local import TEST_SETTINGS

if TYPE_CHECKING:
    from docker.models.containers import Container
    from testcontainers.core.container import DockerContainer

BUILT_IMAGE = "supakit/postgres:15"  # what .ci/docker.sh builds
PGDATA = "/var/lib/postgresql/data"  # the official image's, and ours
STARTUP_TIMEOUT = 60.0
_HOW_TO_GET_IMAGE = "docker pull it, or set test-image in [tool.supakit] (or SUPAKIT_TEST_IMAGE) to an image you have"


def docker_available() -> bool:
    """Whether a Docker engine answers; a short timeout so a dead socket cannot hang us."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def image_present(image: str) -> bool:
    """Whether the engine has `image` already (nothing is pulled to find out)."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            client.images.get(image)
            return True
        finally:
            client.close()
    except Exception:
        return False


def start_container(image: str = BUILT_IMAGE, settings: dict[str, str] | None = None) -> PostgresServer:
    """Start Postgres from `image`; the returned server's `stop()` removes the container.

    Every failure (no engine, image absent and not pullable, container exiting early,
    no readiness in time) is a `BackendUnavailable` with one line saying what to do,
    and leaves no container behind.
    """
    # Ryuk (testcontainers' reaper) is itself an image that cannot be pulled here;
    # we remove our containers ourselves, in `stop()` and on failed starts.
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    try:
        import docker.errors
        from testcontainers.core.container import DockerContainer
    except ImportError as exc:
        raise BackendUnavailable(
            f"the container backend needs testcontainers and docker ({exc.name} is missing): pip install 'supakit[test]'"
        ) from exc

    port, password = free_port(), secrets.token_urlsafe(18)
    container = _container(DockerContainer, image, port, password, TEST_SETTINGS if settings is None else settings)

    def remove() -> None:
        try:
            container.stop(force=True, delete_volume=True)
        except docker.errors.NotFound:
            pass  # already gone: that is what we wanted

    try:
        try:
            container.start()
        except docker.errors.APIError as exc:
            if isinstance(exc, docker.errors.ImageNotFound) or not _image_present(container, image):
                raise BackendUnavailable(f"image {image} not found locally and cannot be pulled: {_HOW_TO_GET_IMAGE}") from exc
            raise BackendUnavailable(f"container from {image} did not start: {first_line(exc.explanation or exc)}") from exc
        except _engine_errors() as exc:
            raise BackendUnavailable(f"Docker engine failed while starting {image}: {first_line(exc)}") from exc
        server = PostgresServer(
            backend="container", host="127.0.0.1", port=port, user=ADMIN_ROLE, password=password,
            migrate_user=MIGRATE_ROLE,
            description=f"container {container.get_wrapped_container().short_id} from {image}",
        )
        _wait_until_ready(container, server, image)
    except BaseException:
        _remove_quietly(remove)
        raise
    server._stop = remove
    return server


def _container(DockerContainer: type, image: str, port: int, password: str, settings: dict[str, str]):
    """The container to start: host networking, data in memory, our settings on the command line."""
    command = ["postgres", "-p", str(port), "-c", "listen_addresses=127.0.0.1"]
    for key, value in settings.items():
        command += ["-c", f"{key}={value}"]
    try:
        return (
            DockerContainer(image, docker_client_kw={"timeout": 60})
            .with_env("POSTGRES_PASSWORD", password)
            # initdb's superuser is Supabase's `supabase_admin` (both images honour
            # POSTGRES_USER), so the bootstrap makes `postgres` a non-superuser that migrates.
            .with_env("POSTGRES_USER", ADMIN_ROLE)
            # Throwaway data: skip initdb's fsyncs (both images pass this to initdb).
            .with_env("POSTGRES_INITDB_ARGS", "--no-sync")
            .with_command(command)
            # network=None: testcontainers would otherwise look for a custom network to
            # join, which conflicts with host networking.
            # Throwaway data in memory: cloning a database per test copies files, which
            # a busy disk makes slow.
            .with_tmpfs_mount(PGDATA)
            .with_kwargs(network_mode="host", network=None)
        )
    except _engine_errors() as exc:
        raise BackendUnavailable(f"no Docker engine answers ({first_line(exc)}): start one, e.g. `bash .ci/docker.sh`") from exc


def _wait_until_ready(container: DockerContainer, server: PostgresServer, image: str) -> None:
    """Poll over TCP, but give up at once (with its last log line) if the container exits.

    TCP readiness means the final server: the official image's init phase listens only
    on its Unix socket, and our image's entrypoint runs initdb before any server starts.
    """
    wrapped = container.get_wrapped_container()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            wait_until_accepting(server, timeout=0.5)
            return
        except BackendUnavailable:
            pass
        try:
            wrapped.reload()
        except _engine_errors() as exc:
            raise BackendUnavailable(f"container from {image} vanished while starting: {first_line(exc)}") from exc
        if wrapped.status not in ("created", "running"):
            raise BackendUnavailable(f"container from {image} exited while starting: {_last_log_line(wrapped)}")
        if time.monotonic() >= deadline:
            raise BackendUnavailable(
                f"container from {image} did not accept connections on 127.0.0.1:{server.port} "
                f"within {STARTUP_TIMEOUT:.0f}s: {_last_log_line(wrapped)}"
            )


def _engine_errors() -> tuple[type[Exception], ...]:
    """What a failing engine raises: docker-py's own errors, or requests' when the socket dies."""
    import docker.errors
    import requests

    return (docker.errors.DockerException, requests.exceptions.RequestException)


def _last_log_line(wrapped: Container) -> str:
    try:
        lines = wrapped.logs(stdout=True, stderr=True, tail=20).decode(errors="replace").strip().splitlines()
    except Exception:  # the log is only a hint; its absence must not mask the real error
        return "no log"
    return lines[-1].strip() if lines else "no log"


def _image_present(container: DockerContainer, image: str) -> bool:
    """After an API error: was it the pull (image absent) or the container itself?"""
    import docker.errors

    try:
        container.get_docker_client().client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        return False
    except _engine_errors():
        return True  # cannot tell; report the original error as it is


def _remove_quietly(remove: Callable[[], None]) -> None:
    """Best-effort removal after a failed start: the original error is what matters."""
    try:
        remove()
    except Exception:
        pass
