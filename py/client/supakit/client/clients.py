"""`Client` and `AsyncClient`: the services over one transport.

    client = Client(url, anon_key, access_token=session.access_token)   # a signed-in user
    admin = Client.from_env(service_role=True)                          # SUPABASE_* variables
    org = client.organizations.create("Acme", "acme")
    client.projects.create(org.id, "Launch")

`AsyncClient` has the same services, awaited. A `Client` over a psycopg pool comes
from `supakit.pool.Pool` (`pool.as_user(id)`, `pool.as_service_role()`).
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from .services import Audit, Members, Organizations, Profiles, Projects, Subscriptions
from .transport import AsyncRestTransport, PoolTransport, RestTransport

ENV_URL = "SUPABASE_URL"
ENV_ANON_KEY = "SUPABASE_ANON_KEY"
ENV_SERVICE_KEY = "SUPABASE_SERVICE_ROLE_KEY"


def token_subject(token: str | None) -> str | None:
    """A user token's `sub` (read, not verified: PostgREST verifies it), None for API keys."""
    if not token:
        return None
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return str(claims["sub"]) if claims.get("sub") and claims.get("role") == "authenticated" else None


def _env(service_role: bool) -> tuple[str, str]:
    name = ENV_SERVICE_KEY if service_role else ENV_ANON_KEY
    url, key = os.environ.get(ENV_URL), os.environ.get(name)
    missing = [n for n, v in ((ENV_URL, url), (name, key)) if not v]
    if missing:
        raise ConfigError(f"set {' and '.join(missing)} (see `supakit status` for the local stack's)")
    return url, key


class _Services:
    """The services, bound to one transport."""

    profiles: Profiles
    organizations: Organizations
    members: Members
    subscriptions: Subscriptions
    projects: Projects
    audit: Audit

    def _bind(self, transport: Any) -> None:
        self.transport = transport
        self.profiles = Profiles(transport)
        self.organizations = Organizations(transport)
        self.members = Members(transport)
        self.subscriptions = Subscriptions(transport)
        self.projects = Projects(transport)
        self.audit = Audit(transport)

    @property
    def user_id(self) -> str | None:
        """The signed-in user this client acts for (None for an API key alone)."""
        return self.transport.user_id


class Client(_Services):
    """The services over supabase-py (sync), or over a pool (`Pool.as_user`, `Client.over`)."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        access_token: str | None = None,
        headers: dict[str, str] | None = None,
        options: Any = None,
    ):
        """`key` is the project's anon (or service_role) key; `access_token` a user's session token."""
        from supabase import ClientOptions, create_client

        self.url, self.key = url, key
        if options is None:
            options = ClientOptions(auto_refresh_token=False, persist_session=False)
        options.headers = {**options.headers, **(headers or {})}
        if access_token:
            options.headers["Authorization"] = f"Bearer {access_token}"
        self.supabase = create_client(url, key, options)
        self._bind(RestTransport(self.supabase, token_subject(access_token)))

    @classmethod
    def from_env(cls, *, access_token: str | None = None, service_role: bool = False, **kwargs: Any) -> Client:
        """From SUPABASE_URL and SUPABASE_ANON_KEY (SUPABASE_SERVICE_ROLE_KEY with service_role)."""
        url, key = _env(service_role)
        return cls(url, key, access_token=access_token, **kwargs)

    @classmethod
    def over(cls, transport: Any) -> Client:
        """A client on any sync transport (e.g. a `PoolTransport`)."""
        client = cls.__new__(cls)
        client.url = client.key = None
        client.supabase = getattr(transport, "supabase", None)
        client._bind(transport)
        return client

    def with_token(self, access_token: str) -> Client:
        """Another client on the same project acting for the user of `access_token`."""
        if self.supabase is None:
            raise TypeError("with_token needs a REST client; over a pool use pool.as_user(user_id)")
        return type(self)(self.url, self.key, access_token=access_token)

    @property
    def over_pool(self) -> bool:
        return isinstance(self.transport, PoolTransport)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Services):
    """The services over supabase-py's async client: `await client.projects.list(org_id)`."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        access_token: str | None = None,
        headers: dict[str, str] | None = None,
        options: Any = None,
        supabase: Any = None,
    ):
        from supabase import AClient, AClientOptions

        self.url, self.key = url, key
        if supabase is None:
            options = options or AClientOptions(auto_refresh_token=False, persist_session=False)
            options.headers = {**options.headers, **(headers or {})}
            if access_token:
                options.headers["Authorization"] = f"Bearer {access_token}"
            supabase = AClient(url, key, options)  # what `acreate_client` builds when given a token
        self.supabase = supabase
        self._bind(AsyncRestTransport(supabase, token_subject(access_token)))

    @classmethod
    async def create(cls, url: str, key: str, *, access_token: str | None = None,
                     headers: dict[str, str] | None = None) -> AsyncClient:
        """Through supabase's `acreate_client` (which also picks up a stored auth session)."""
        from supabase import AClientOptions, acreate_client

        options = AClientOptions(auto_refresh_token=False, persist_session=False)
        options.headers = {**options.headers, **(headers or {})}
        if access_token:
            options.headers["Authorization"] = f"Bearer {access_token}"
        supabase = await acreate_client(url, key, options)
        return cls(url, key, access_token=access_token, supabase=supabase)

    @classmethod
    def from_env(cls, *, access_token: str | None = None, service_role: bool = False, **kwargs: Any) -> AsyncClient:
        url, key = _env(service_role)
        return cls(url, key, access_token=access_token, **kwargs)

    @classmethod
    def over(cls, transport: Any) -> AsyncClient:
        """A client on any async transport (e.g. an `AsyncPoolTransport` from `supakit.AsyncPool`)."""
        client = cls.__new__(cls)
        client.url = client.key = None
        client.supabase = getattr(transport, "supabase", None)
        client._bind(transport)
        return client

    def with_token(self, access_token: str) -> AsyncClient:
        return type(self)(self.url, self.key, access_token=access_token)

    async def close(self) -> None:
        await self.transport.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
