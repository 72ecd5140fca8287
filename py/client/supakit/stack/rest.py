"""PostgREST and the auth server behind the gateway, serving one database: what tests, benches and the stack share.

`start_api` is the one way they are started: `Stack.up` (`supakit up`) calls it with
the ports and pids it keeps in `stack.json`; `start_rest` (the pytest `rest` fixture,
the benches) with free ports and pids of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import tokens
from ..providers.base import PostgresServer, free_port
from . import gateway, postgrest, processes
from .auth import server as auth_server
from .auth.settings import AuthSettings


@dataclass
class RestEndpoint:
    """`url` is what supabase-py's `create_client` takes (it appends `/rest/v1`)."""

    url: str
    anon_key: str
    service_key: str
    jwt_secret: str
    pids: dict[str, int] = field(default_factory=dict)
    postgrest_port: int = 0  # behind the gateway; for a second gateway in front of the same PostgREST

    @property
    def rest_url(self) -> str:
        return f"{self.url}/rest/v1"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth/v1"

    def stop(self) -> None:
        stop_api(self.pids)


API = ("postgrest", "auth", "gateway")  # started in this order, stopped in the reverse


@dataclass
class ApiSpec:
    """What `start_api` serves and where: every port fixed, the settings each caller overrides."""

    db_uri: str  # PostgREST's connection, as `authenticator`
    auth_db_url: str  # the auth server's connection
    jwt_secret: str
    port: int  # the gateway's: the API URL
    postgrest_port: int
    postgrest_admin_port: int
    auth_port: int
    postgrest: dict[str, Any] = field(default_factory=dict)  # PostgrestConfig fields to override
    auth: dict[str, Any] = field(default_factory=dict)  # AuthSettings fields to override

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def keys(self) -> tuple[str, str]:
        """The anon and service_role API keys."""
        return tokens.api_key("anon", self.jwt_secret), tokens.api_key("service_role", self.jwt_secret)


def api_running(pids: dict[str, int]) -> dict[str, bool]:
    """Whether each of PostgREST, the auth server and the gateway runs as the pid in `pids`."""
    return {
        "postgrest": processes.alive(pids.get("postgrest"), postgrest.BINARY),
        "auth": auth_server.alive(pids.get("auth")),
        "gateway": processes.alive(pids.get("gateway"), gateway.BINARY),
    }


def stop_api(pids: dict[str, int], components: tuple[str, ...] | list[str] = API) -> None:
    """Stop those of `components` that `pids` names (gateway, PostgREST, auth server), forgetting their pids."""
    for name, binary in (("gateway", gateway.BINARY), ("postgrest", postgrest.BINARY)):
        if name in components:
            processes.stop(pids.pop(name, None), binary)
    if "auth" in components:
        auth_server.stop(pids.pop("auth", None))


def start_api(spec: ApiSpec, state_dir: Path, pids: dict[str, int], *, detach: bool = False) -> list[str]:
    """Start PostgREST, the auth server and the gateway in front, each unless `pids` names it
    running; their pids go into `pids`, their files under `state_dir`. Returns what this call
    started; on failure, stops it."""
    running = api_running(pids)
    started: list[str] = []
    anon_key, service_key = spec.keys
    try:
        if not running["postgrest"]:
            pg_config = postgrest.PostgrestConfig(
                db_uri=spec.db_uri, jwt_secret=spec.jwt_secret, port=spec.postgrest_port,
                admin_port=spec.postgrest_admin_port, **spec.postgrest,
            )
            pids["postgrest"] = postgrest.start_postgrest(pg_config, state_dir / "postgrest", detach=detach).pid
            started.append("postgrest")
        if not running["auth"]:
            settings = AuthSettings(db_url=spec.auth_db_url, jwt_secret=spec.jwt_secret, api_url=spec.url, **spec.auth)
            pids["auth"] = auth_server.start_auth(settings, state_dir / "auth", port=spec.auth_port, detach=detach).pid
            started.append("auth")
        if not running["gateway"]:
            gw_config = gateway.GatewayConfig(spec.port, spec.postgrest_port, anon_key, service_key, spec.auth_port)
            pids["gateway"] = gateway.start_gateway(gw_config, state_dir / "gateway", detach=detach).pid
            started.append("gateway")
    except BaseException:
        stop_api(pids, started)
        raise
    return started


def start_rest(
    server: PostgresServer,
    dbname: str,
    *,
    jwt_secret: str,
    authenticator_password: str,
    state_dir: Path,
    port: int | None = None,
    postgrest_port: int | None = None,
    admin_port: int | None = None,
    detach: bool = False,
    auth: dict[str, Any] | None = None,
) -> RestEndpoint:
    """`start_api` on free ports (unless given) for one database: PostgREST as `authenticator`,
    the auth server as the server's user (settings overridden by `auth`), the gateway in front."""
    spec = ApiSpec(
        db_uri=server.url(dbname, user="authenticator", password=authenticator_password),
        auth_db_url=server.url(dbname),
        jwt_secret=jwt_secret,
        port=port or free_port(),
        postgrest_port=postgrest_port or free_port(),
        postgrest_admin_port=admin_port or free_port(),
        auth_port=free_port(),
        auth=dict(auth or {}),
    )
    endpoint = RestEndpoint(spec.url, *spec.keys, jwt_secret, postgrest_port=spec.postgrest_port)
    start_api(spec, state_dir, endpoint.pids, detach=detach)
    return endpoint
