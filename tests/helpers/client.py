"""Clients for callers over one transport (`Api`) and a team built through them:
what tests/client/ shares."""

from __future__ import annotations

import asyncio
import functools
import uuid
from typing import Any

from supakit import AsyncClient, Client, Pool


TRANSPORTS = ("rest", "async", "pool")


class Awaiting:
    """An AsyncClient service whose calls run to completion on a loop: same test bodies."""

    def __init__(self, service: Any, loop: asyncio.AbstractEventLoop):
        self._service, self._loop = service, loop

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._service, name)

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(method(*args, **kwargs))

        return call


class AwaitingClient:
    SERVICES = ("profiles", "organizations", "members", "subscriptions", "projects", "audit")

    def __init__(self, client: AsyncClient, loop: asyncio.AbstractEventLoop):
        self.client, self.loop = client, loop
        self.user_id = client.user_id
        for name in self.SERVICES:
            setattr(self, name, Awaiting(getattr(client, name), loop))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())


class Api:
    """Clients for callers, over one transport."""

    def __init__(self, transport: str, rest, pool: Pool, make_user):
        self.transport, self.rest, self.pool, self.make_user = transport, rest, pool, make_user
        self.loop = asyncio.new_event_loop() if transport == "async" else None
        self.opened: list[Any] = []

    def _client(self, token: str | None, user=None, key: str | None = None) -> Any:
        if self.transport == "pool":
            client = self.pool.as_user(user.id, user.email) if user is not None else self.pool.as_service_role()
        elif self.transport == "async":
            client = AwaitingClient(AsyncClient(self.rest.url, key or self.rest.anon_key, access_token=token), self.loop)
        else:
            client = Client(self.rest.url, key or self.rest.anon_key, access_token=token)
        self.opened.append(client)
        return client

    def user(self, **metadata: Any) -> tuple[Any, Any]:
        """A new signed-up user and a client acting as them."""
        user = self.make_user(**metadata)
        return user, self._client(user.token, user)

    def service(self) -> Any:
        return self._client(None, key=self.rest.service_key)

    def close(self) -> None:
        for client in self.opened:
            client.close()
        if self.loop is not None:
            self.loop.close()


def slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Team:
    """An organization its admin created through the client, with a member, a viewer, and
    an outsider who belongs to none of it."""

    def __init__(self, api: Api):
        (self.admin_user, self.admin), (self.member_user, self.member) = api.user(), api.user()
        (self.viewer_user, self.viewer), (self.outsider_user, self.outsider) = api.user(), api.user()
        self.service = api.service()
        self.org = self.admin.organizations.create("Acme", slug("acme"))
        self.service.members.add(self.org.id, user_id=self.member_user.id, role="member")
        self.service.members.add(self.org.id, user_id=self.viewer_user.id, role="viewer")
