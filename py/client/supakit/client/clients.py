"""`Client` and `AsyncClient`: the services over one transport.

    client = Client(url, anon_key, access_token=session.access_token)   # a signed-in user
    admin = Client.from_env(service_role=True)                          # SUPABASE_* variables
    org = client.organizations.create("Acme", "acme")
    client.projects.create(org.id, "Launch")

`AsyncClient` has the same services, awaited. A client on any other transport is
`Client(transport=...)`; over a psycopg pool it comes from `supakit.Pool`
(`pool.as_user(id)`, `pool.as_service_role()`).
"""

from __future__ import annotations

from typing import Any

from .. import config
from .services import Audit, Members, Organizations, Profiles, Projects, Subscriptions
from .transport import AsyncRestTransport, AsyncTransport, PoolTransport, RestTransport, Transport


def token_claims(token: str | None) -> dict[str, Any]:
    """A token's claims (read, not verified: PostgREST verifies it); {} for what is no JWT."""
    if not token:
        return {}
    import jwt

    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}


def token_subject(token: str | None) -> str | None:
    """A user token's `sub`, None for API keys."""
    claims = token_claims(token)
    return str(claims["sub"]) if claims.get("sub") and claims.get("role") == "authenticated" else None


def is_anonymous(key: str | None, access_token: str | None) -> bool:
    """Requests carry the anon key alone: PostgREST runs them as `anon`, no user signed in."""
    return token_claims(access_token or key).get("role") == "anon"


def _rest_options(options: Any, headers: dict[str, str] | None, access_token: str | None) -> Any:
    """supabase-py's options with our headers and the user's token (no session kept or refreshed)."""
    options.headers = {**options.headers, **(headers or {})}
    if access_token:
        options.headers["Authorization"] = f"Bearer {access_token}"
    return options


def _exactly_one(url: str | None, key: str | None, transport: Any) -> None:
    """A client talks REST (`url` and `key`) or runs on a given `transport`: one of the two."""
    if transport is None and (url is None or key is None):
        raise TypeError("a client needs url and key (REST), or transport=")
    if transport is not None and (url is not None or key is not None):
        raise TypeError("give either url and key (REST) or transport=, not both")


class _Services:
    """The services, bound to one transport."""

    profiles: Profiles
    organizations: Organizations
    members: Members
    subscriptions: Subscriptions
    projects: Projects
    audit: Audit

    def _bind(self, transport: Any) -> None:
        """Every service over `transport` (a `Transport` or an `AsyncTransport`)."""
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
    """The services over supabase-py (sync), or over any transport (`Pool.as_user`, `transport=`)."""

    def __init__(
        self,
        url: str | None = None,
        key: str | None = None,
        *,
        access_token: str | None = None,
        headers: dict[str, str] | None = None,
        options: Any = None,
        transport: Transport | None = None,
    ):
        """`key` is the project's anon (or service_role) key; `access_token` a user's session token.

        Or, instead of `url` and `key`, a `transport` to run every call on (a `PoolTransport`).
        """
        _exactly_one(url, key, transport)
        self.url, self.key = url, key
        if transport is None:
            from supabase import ClientOptions, create_client

            if options is None:
                options = ClientOptions(auto_refresh_token=False, persist_session=False)
            self.supabase = create_client(url, key, _rest_options(options, headers, access_token))
            transport = RestTransport(self.supabase, token_subject(access_token), is_anonymous(key, access_token))
        else:
            self.supabase = getattr(transport, "supabase", None)
        self._bind(transport)

    @classmethod
    def from_env(cls, *, access_token: str | None = None, service_role: bool = False, **kwargs: Any) -> Client:
        """From SUPABASE_URL and SUPABASE_ANON_KEY (SUPABASE_SERVICE_ROLE_KEY with service_role)."""
        url, key = config.supabase_api(service_role)
        return cls(url, key, access_token=access_token, **kwargs)

    @classmethod
    def over(cls, transport: Transport) -> Client:
        """A client on any sync transport (e.g. a `PoolTransport`): `Client(transport=transport)`."""
        return cls(transport=transport)

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
        url: str | None = None,
        key: str | None = None,
        *,
        access_token: str | None = None,
        headers: dict[str, str] | None = None,
        options: Any = None,
        supabase: Any = None,
        transport: AsyncTransport | None = None,
    ):
        _exactly_one(url, key, transport)
        self.url, self.key = url, key
        if transport is None:
            if supabase is None:
                from supabase import AClient, AClientOptions

                options = options or AClientOptions(auto_refresh_token=False, persist_session=False)
                # what `acreate_client` builds when given a token
                supabase = AClient(url, key, _rest_options(options, headers, access_token))
            transport = AsyncRestTransport(supabase, token_subject(access_token), is_anonymous(key, access_token))
        self.supabase = getattr(transport, "supabase", None)
        self._bind(transport)

    @classmethod
    async def create(cls, url: str, key: str, *, access_token: str | None = None,
                     headers: dict[str, str] | None = None) -> AsyncClient:
        """Through supabase's `acreate_client` (which also picks up a stored auth session)."""
        from supabase import AClientOptions, acreate_client

        options = _rest_options(AClientOptions(auto_refresh_token=False, persist_session=False), headers, access_token)
        supabase = await acreate_client(url, key, options)
        return cls(url, key, access_token=access_token, supabase=supabase)

    @classmethod
    def from_env(cls, *, access_token: str | None = None, service_role: bool = False, **kwargs: Any) -> AsyncClient:
        url, key = config.supabase_api(service_role)
        return cls(url, key, access_token=access_token, **kwargs)

    @classmethod
    def over(cls, transport: AsyncTransport) -> AsyncClient:
        """A client on any async transport (e.g. an `AsyncPoolTransport` from `supakit.AsyncPool`)."""
        return cls(transport=transport)

    def with_token(self, access_token: str) -> AsyncClient:
        return type(self)(self.url, self.key, access_token=access_token)

    async def close(self) -> None:
        await self.transport.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
