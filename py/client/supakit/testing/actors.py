"""The callers a test acts as: users with real tokens, anon, and the service role."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

import psycopg
from .. import tokens
from ..stack.auth.users import create_session, create_user
from ..db import ActingConnection
from ..providers.base import PostgresServer

_emails = itertools.count(1)


@dataclass
class Actor:
    """One API caller: its claims, its signed token, SQL as it, REST as it."""

    role: str
    claims: dict[str, Any]
    token: str
    _connect: Any = field(repr=False)
    _rest: Any = field(default=None, repr=False)
    _sql: ActingConnection | None = field(default=None, repr=False)
    _client: Any = field(default=None, repr=False)

    @property
    def sql(self) -> ActingConnection:
        """A connection as PostgREST's `authenticator`, switching to this caller per transaction."""
        if self._sql is None:
            self._sql = ActingConnection(self._connect(), self.claims)
        return self._sql

    @property
    def client(self):
        """A supabase-py client for this caller, through the gateway (needs the `rest` fixture)."""
        if self._rest is None:
            raise RuntimeError("`.client` needs the `rest` fixture: add `rest` to the test's arguments")
        if self._client is None:
            from supabase import ClientOptions, create_client

            self._client = create_client(
                self._rest.url,
                self.apikey,
                options=ClientOptions(headers={"Authorization": f"Bearer {self.token}"}),
            )
        return self._client

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers for a raw request to the gateway as this caller."""
        if self._rest is None:
            raise RuntimeError("`.headers` needs the `rest` fixture")
        return {"apikey": self.apikey, "Authorization": f"Bearer {self.token}"}

    @property
    def apikey(self) -> str:
        """The gateway key an app of this caller sends: the service key only for the service role."""
        if self._rest is None:
            raise RuntimeError("`.apikey` needs the `rest` fixture")
        return self._rest.service_key if self.role == "service_role" else self._rest.anon_key

    def close(self) -> None:
        if self._sql is not None:
            self._sql.close()


@dataclass
class User(Actor):
    id: str = ""
    email: str = ""
    password: str = field(default="", repr=False)  # signs in through `client.auth` (needs `rest`)


class ActorFactory:
    """Creates users in one database and closes their connections at teardown."""

    def __init__(self, server: PostgresServer, dbname: str, jwt_secret: str, authenticator_password: str, rest=None):
        self.server, self.dbname, self.secret, self.rest = server, dbname, jwt_secret, rest
        self.authenticator_password = authenticator_password
        self.created: list[Actor] = []

    def _connect(self) -> psycopg.Connection:
        url = self.server.url(self.dbname, user="authenticator", password=self.authenticator_password)
        return psycopg.connect(url, autocommit=True)

    def user(self, email: str | None = None, password: str | None = None, **user_metadata: Any) -> User:
        """A confirmed email user as GoTrue makes one (auth.users row with explicit id, aud and role,
        an email identity, a bcrypt hash of `password`), and a token of a real session of it."""
        email = email or f"user{next(_emails)}-{self.dbname[-6:]}@example.test"
        password = password or secrets.token_urlsafe(12)
        with self.server.connect(self.dbname, autocommit=True) as admin:
            with admin.transaction():
                user_id = create_user(admin, email, password, user_metadata)
                session_id = create_session(admin, user_id)
        claims = tokens.user_claims(user_id, email.lower(), user_metadata, session_id=session_id)
        user = User(
            role="authenticated", claims=claims, token=tokens.sign(claims, self.secret),
            _connect=self._connect, _rest=self.rest, id=user_id, email=email.lower(), password=password,
        )
        self.created.append(user)
        return user

    def api_role(self, role: str) -> Actor:
        token = tokens.api_key(role, self.secret)
        actor = Actor(role=role, claims=tokens.decode(token, self.secret), token=token,
                      _connect=self._connect, _rest=self.rest)
        self.created.append(actor)
        return actor

    def close(self) -> None:
        for actor in self.created:
            actor.close()
