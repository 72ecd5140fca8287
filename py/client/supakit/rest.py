"""PostgREST behind the gateway, serving one database: what tests and the stack share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import gateway, postgrest, processes, tokens
from .providers.base import PostgresServer, free_port


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

    def stop(self) -> None:
        processes.stop(self.pids.pop("gateway", None), gateway.BINARY)
        processes.stop(self.pids.pop("postgrest", None), postgrest.BINARY)


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
) -> RestEndpoint:
    anon_key, service_key = tokens.api_key("anon", jwt_secret), tokens.api_key("service_role", jwt_secret)
    pg_config = postgrest.PostgrestConfig(
        db_uri=server.url(dbname, user="authenticator", password=authenticator_password),
        jwt_secret=jwt_secret,
        port=postgrest_port or free_port(),
        admin_port=admin_port or free_port(),
    )
    endpoint = RestEndpoint("", anon_key, service_key, jwt_secret, postgrest_port=pg_config.port)
    endpoint.pids["postgrest"] = postgrest.start_postgrest(pg_config, state_dir / "postgrest", detach=detach).pid
    try:
        gw_config = gateway.GatewayConfig(port or free_port(), pg_config.port, anon_key, service_key)
        endpoint.pids["gateway"] = gateway.start_gateway(gw_config, state_dir / "gateway", detach=detach).pid
    except BaseException:
        endpoint.stop()
        raise
    endpoint.url = f"http://127.0.0.1:{gw_config.port}"
    return endpoint
