"""Users as GoTrue writes them: one row in auth.users, one email identity, bcrypt hashes.

Shared by the auth server, the pytest harness, `supakit token` and the benches, so a
user made anywhere here is the row GoTrue would have made: explicit id, aud and
role, `raw_app_meta_data` naming the provider, an `auth.identities` row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

AUDIENCE = "authenticated"
ROLE = "authenticated"
INSTANCE_ID = "00000000-0000-0000-0000-000000000000"
# bcrypt cost for users made by tests: still a real bcrypt hash GoTrue verifies, ~1 ms.
TEST_BCRYPT_COST = 4

INSERT_USER = """
with new_user as (
  insert into auth.users (
    instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
    confirmation_token, confirmation_sent_at, recovery_token, email_change_token_new, email_change,
    raw_app_meta_data, raw_user_meta_data, is_sso_user, is_anonymous, created_at, updated_at)
  values (
    %(instance_id)s, %(id)s, %(aud)s, %(role)s, %(email)s,
    case when %(password)s::text is null then null
         else {schema}.crypt(%(password)s, {schema}.gen_salt('bf', %(cost)s)) end,
    case when %(confirmed)s::boolean then now() end,
    %(confirmation_token)s::text, case when %(confirmation_token)s::text <> '' then now() end, '', '', '',
    %(app_metadata)s, %(user_metadata)s, false, false, now(), now())
  returning id, email
)
insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id,
       jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', false, 'phone_verified', false),
       'email', now(), now(), now()
from new_user as u
returning user_id
"""

PGCRYPTO_SCHEMA = "select extnamespace::regnamespace::text from pg_catalog.pg_extension where extname = 'pgcrypto'"


def app_metadata(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """GoTrue's `raw_app_meta_data` for an email user."""
    return {"provider": "email", "providers": ["email"]} | (extra or {})


def insert_user_query(crypt_schema: str) -> sql.Composed:
    return sql.SQL(INSERT_USER).format(schema=sql.Identifier(crypt_schema))


def user_params(
    email: str,
    password: str | None,
    user_metadata: dict[str, Any] | None = None,
    *,
    user_id: str | None = None,
    confirmed: bool = True,
    confirmation_token: str = "",
    extra_app_metadata: dict[str, Any] | None = None,
    cost: int = 10,
    aud: str = AUDIENCE,
    role: str = ROLE,
) -> dict[str, Any]:
    return {
        "instance_id": INSTANCE_ID, "id": user_id or str(uuid.uuid4()), "aud": aud, "role": role,
        "email": email.lower(), "password": password, "cost": cost, "confirmed": confirmed,
        "confirmation_token": confirmation_token, "app_metadata": Jsonb(app_metadata(extra_app_metadata)),
        "user_metadata": Jsonb(user_metadata or {}),
    }


def create_user(
    conn: psycopg.Connection,
    email: str,
    password: str | None = None,
    user_metadata: dict[str, Any] | None = None,
    *,
    cost: int = TEST_BCRYPT_COST,
    confirmed: bool = True,
) -> str:
    """Insert a confirmed email user as GoTrue's admin API would; returns its id."""
    schema = conn.execute(PGCRYPTO_SCHEMA).fetchone()
    if schema is None:
        raise RuntimeError("pgcrypto is not installed in this database: run the supakit bootstrap")
    row = conn.execute(
        insert_user_query(schema[0]), user_params(email, password, user_metadata, cost=cost, confirmed=confirmed)
    ).fetchone()
    return str(row[0])


def iso(value: datetime | None) -> str | None:
    """Timestamps as GoTrue's JSON writes them (RFC 3339, UTC)."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def create_session(conn: psycopg.Connection, user_id: str, method: str = "password") -> str:
    """A session row for a token minted outside the auth server, so `/auth/v1/user` accepts that token."""
    row = conn.execute(
        """
        with s as (
          insert into auth.sessions (id, user_id, created_at, updated_at, aal)
          values (gen_random_uuid(), %s, now(), now(), 'aal1') returning id
        )
        insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
        select s.id, now(), now(), %s, gen_random_uuid() from s
        returning session_id
        """, (user_id, method)).fetchone()
    return str(row[0])
