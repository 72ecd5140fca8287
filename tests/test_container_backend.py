"""The `container` backend, for real: a Docker engine and the image must be there.

CI runs `.ci/docker.sh` first, so without an engine these tests fail under CI; on a
developer machine without Docker they are skipped. Each container start costs ~1-2 s,
so the tests are few.
"""

from __future__ import annotations

import os

import pytest

from supakit.errors import BackendUnavailable
from supakit.providers.container import docker_available, start_container

IMAGE = os.environ.get("SUPAKIT_TEST_IMAGE") or "supakit/postgres:15"


@pytest.fixture(scope="module")
def docker_client():
    if not docker_available():
        message = "no Docker engine answers (run `bash .ci/docker.sh`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    import docker

    client = docker.from_env(timeout=30)
    yield client
    client.close()


def _containers_on_port(client, port: int) -> list:
    """Our containers, found by the `-p PORT` in their command (ports are unique while in use)."""
    return [c for c in client.containers.list(all=True) if str(port) in (c.attrs.get("Args") or [])]


def test_runs_postgres_15_and_stop_removes_the_container(docker_client):
    server = start_container(IMAGE)
    try:
        assert (server.backend, server.host) == ("container", "127.0.0.1")
        with server.connect() as conn:
            version = conn.execute("select version()").fetchone()[0]
            fsync = conn.execute("show fsync").fetchone()[0]
        assert version.startswith("PostgreSQL 15."), version
        assert fsync == "off"  # the test settings reached the server
        assert len(_containers_on_port(docker_client, server.port)) == 1
    finally:
        server.stop()
    assert _containers_on_port(docker_client, server.port) == []


def test_missing_image_is_one_line_naming_the_image(docker_client):
    image = "supakit/no-such-image:0"
    with pytest.raises(BackendUnavailable) as info:
        start_container(image)
    message = str(info.value)
    assert image in message
    assert "docker pull it" in message and "docker.sh" not in message  # no repository script for users
    assert "\n" not in message and "Traceback" not in message
    assert not [c for c in docker_client.containers.list(all=True) if c.attrs["Config"]["Image"] == image]


def test_container_exiting_at_startup_reports_its_last_log_line_and_is_removed(docker_client):
    before = {c.id for c in docker_client.containers.list(all=True)}
    with pytest.raises(BackendUnavailable) as info:
        start_container(IMAGE, settings={"no_such_setting": "1"})
    message = str(info.value)
    assert "exited while starting" in message and IMAGE in message
    assert "no_such_setting" in message  # postgres' own complaint, from the container log
    assert "\n" not in message
    assert {c.id for c in docker_client.containers.list(all=True)} <= before
