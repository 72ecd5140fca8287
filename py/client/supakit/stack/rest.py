"""PostgREST and the auth server behind the gateway, serving one database: what tests and the stack share."""

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
        processes.stop(self.pids.pop("gateway", None), gateway.BINARY)
        processes.stop(self.pids.pop("postgrest", None), postgrest.BINARY)
        auth_server.stop(self.pids.pop("auth", None))


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
    """Start PostgREST, the auth server (settings overridden by `auth`) and the gateway in front."""
    anon_key, service_key = tokens.api_key("anon", jwt_secret), tokens.api_key("service_role", jwt_secret)
    pg_config = postgrest.PostgrestConfig(
        db_uri=server.url(dbname, user="authenticator", password=authenticator_password),
        jwt_secret=jwt_secret,
        port=postgrest_port or free_port(),
        admin_port=admin_port or free_port(),
    )
    port = port or free_port()
    endpoint = RestEndpoint(f"http://127.0.0.1:{port}", anon_key, service_key, jwt_secret, postgrest_port=pg_config.port)
    endpoint.pids["postgrest"] = postgrest.start_postgrest(pg_config, state_dir / "postgrest", detach=detach).pid
    try:
        settings = AuthSettings(db_url=server.url(dbname), jwt_secret=jwt_secret, api_url=endpoint.url, **(auth or {}))
        started = auth_server.start_auth(settings, state_dir / "auth", detach=detach)
        endpoint.pids["auth"] = started.pid
        gw_config = gateway.GatewayConfig(port, pg_config.port, anon_key, service_key, started.port)
        endpoint.pids["gateway"] = gateway.start_gateway(gw_config, state_dir / "gateway", detach=detach).pid
    except BaseException:
        endpoint.stop()
        raise
    return endpoint
