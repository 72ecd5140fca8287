"""The auth server's reads and writes of GoTrue's tables, over an async pool."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from .errors import bad_request
from .users import INSTANCE_ID, iso

USER_COLUMNS = """
  u.id, u.aud, u.role, u.email, u.email_confirmed_at, u.invited_at, u.phone, u.phone_confirmed_at,
  u.confirmation_sent_at, u.confirmed_at, u.recovery_sent_at, u.email_change, u.email_change_sent_at,
  u.last_sign_in_at, u.raw_app_meta_data, u.raw_user_meta_data, u.created_at, u.updated_at,
  u.banned_until, u.deleted_at, u.is_anonymous, u.is_sso_user,
  coalesce(u.encrypted_password, '') <> '' as has_password,
  u.banned_until is not null and u.banned_until > now() as banned
"""
ALPHABET = string.ascii_lowercase + string.digits


def new_refresh_token() -> str:
    """An opaque refresh token, shaped like GoTrue's (12 lower-case alphanumerics)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(12))


@dataclass
class User:
    row: dict[str, Any]
    identities: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return str(self.row["id"])

    def json(self) -> dict[str, Any]:
        """The user as GoTrue's JSON shows it: no hash, no token, nulls omitted where GoTrue omits them."""
        r = self.row
        out: dict[str, Any] = {
            "id": self.id, "aud": r["aud"] or "", "role": r["role"] or "", "email": r["email"] or "",
        }
        optional = {
            "email_confirmed_at": r["email_confirmed_at"], "invited_at": r["invited_at"],
            "phone_confirmed_at": r["phone_confirmed_at"], "confirmation_sent_at": r["confirmation_sent_at"],
            "confirmed_at": r["confirmed_at"], "recovery_sent_at": r["recovery_sent_at"],
            "email_change_sent_at": r["email_change_sent_at"], "last_sign_in_at": r["last_sign_in_at"],
            "banned_until": r["banned_until"], "deleted_at": r["deleted_at"],
        }
        out["phone"] = r["phone"] or ""
        for key, value in optional.items():
            if value is not None:
                out[key] = iso(value)
        if r["email_change"]:
            out["new_email"] = r["email_change"]
        out["app_metadata"] = r["raw_app_meta_data"] or {}
        out["user_metadata"] = r["raw_user_meta_data"] or {}
        out["identities"] = [identity_json(i) for i in self.identities]
        out["created_at"] = iso(r["created_at"])
        out["updated_at"] = iso(r["updated_at"])
        out["is_anonymous"] = bool(r["is_anonymous"])
        return out


def identity_json(row: dict[str, Any]) -> dict[str, Any]:
    out = {
        "identity_id": str(row["id"]), "id": row["provider_id"], "user_id": str(row["user_id"]),
        "identity_data": row["identity_data"], "provider": row["provider"],
        "last_sign_in_at": iso(row["last_sign_in_at"]), "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }
    if row["email"]:
        out["email"] = row["email"]
    return out


async def load_user(conn: AsyncConnection, where: str, params: dict[str, Any]) -> User | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"select {USER_COLUMNS} from auth.users as u where {where}", params)
    row = await cur.fetchone()
    if row is None:
        return None
    await cur.execute(
        "select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, email "
        "from auth.identities where user_id = %s order by created_at, id", (row["id"],))
    return User(row, await cur.fetchall())


async def user_by_id(conn: AsyncConnection, user_id: str) -> User | None:
    return await load_user(conn, "u.id = %(id)s", {"id": user_id})


async def user_by_email(conn: AsyncConnection, email: str, aud: str) -> User | None:
    """GoTrue's FindUserByEmailAndAudience: SSO accounts never sign in with a password."""
    return await load_user(
        conn, "lower(u.email) = lower(%(email)s) and u.aud = %(aud)s and u.is_sso_user = false",
        {"email": email, "aud": aud},
    )


async def email_taken(conn: AsyncConnection, email: str, aud: str, except_id: str | None = None) -> bool:
    cur = await conn.execute(
        "select exists (select 1 from auth.users where lower(email) = lower(%s) and aud = %s "
        "and is_sso_user = false and id is distinct from %s::uuid)", (email, aud, except_id))
    return bool((await cur.fetchone())[0])


async def password_matches(conn: AsyncConnection, crypt_schema: str, user_id: str, password: str) -> bool:
    cur = await conn.execute(
        f'select case when coalesce(encrypted_password, \'\') = \'\' then false '
        f'else encrypted_password = "{crypt_schema}".crypt(%s, encrypted_password) end '
        f"from auth.users where id = %s", (password, user_id))
    row = await cur.fetchone()
    return bool(row and row[0])


async def set_password(conn: AsyncConnection, crypt_schema: str, user_id: str, password: str, cost: int) -> None:
    await conn.execute(
        f'update auth.users set encrypted_password = "{crypt_schema}".crypt(%s, "{crypt_schema}".gen_salt(\'bf\', %s)), '
        f"updated_at = now() where id = %s", (password, cost, user_id))


@dataclass
class Issued:
    session_id: str
    refresh_token: str
    amr: list[dict[str, Any]]


async def start_session(conn: AsyncConnection, user_id: str, method: str, user_agent: str | None, ip: str | None) -> Issued:
    """GoTrue's IssueRefreshToken: a session, its amr claim, the first refresh token, last sign-in."""
    token = new_refresh_token()
    cur = await conn.execute(
        """
        with s as (
          insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
          values (gen_random_uuid(), %(user)s, now(), now(), 'aal1', %(ua)s, %(ip)s::inet)
          returning id, created_at
        ), amr as (
          insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
          select s.id, now(), now(), %(method)s, gen_random_uuid() from s
        ), rt as (
          insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
          select %(instance)s, %(token)s, %(user)s::text, false, now(), now(), '', s.id from s
        )
        select s.id, extract(epoch from s.created_at)::bigint from s
        """,
        {"user": user_id, "ua": user_agent, "ip": ip, "method": method, "token": token, "instance": INSTANCE_ID},
    )
    session_id, started = await cur.fetchone()
    await conn.execute("update auth.users set last_sign_in_at = now(), updated_at = now() where id = %s", (user_id,))
    await conn.execute(
        "update auth.identities set last_sign_in_at = now() where user_id = %s and provider = 'email'", (user_id,))
    return Issued(str(session_id), token, [{"method": method, "timestamp": started}])


async def session_amr(conn: AsyncConnection, session_id: str) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "select authentication_method, extract(epoch from created_at)::bigint from auth.mfa_amr_claims "
        "where session_id = %s order by created_at", (session_id,))
    return [{"method": m, "timestamp": t} for m, t in await cur.fetchall()]


async def session_exists(conn: AsyncConnection, session_id: str) -> bool:
    cur = await conn.execute("select exists (select 1 from auth.sessions where id = %s)", (session_id,))
    return bool((await cur.fetchone())[0])


@dataclass
class RefreshRow:
    id: int
    token: str
    user_id: str
    revoked: bool
    updated_at: datetime
    parent: str | None
    session_id: str | None
    session_not_after: datetime | None
    session_alive: bool


async def lock_refresh_token(conn: AsyncConnection, token: str) -> RefreshRow | None:
    """The token and its session, both locked: concurrent refreshes of one session queue."""
    cur = await conn.execute(
        """
        select rt.id, rt.token, rt.user_id, coalesce(rt.revoked, false), rt.updated_at, rt.parent, rt.session_id,
               s.not_after, s.id is not null
        from auth.refresh_tokens as rt left join auth.sessions as s on s.id = rt.session_id
        where rt.token = %s
        for update of rt
        """, (token,))
    row = await cur.fetchone()
    if row is None:
        return None
    if row[6] is not None:
        await conn.execute("select 1 from auth.sessions where id = %s for update", (row[6],))
    return RefreshRow(row[0], row[1], row[2], row[3], row[4], row[5], str(row[6]) if row[6] else None, row[7], row[8])


async def active_token(conn: AsyncConnection, session_id: str) -> tuple[str, str | None] | None:
    cur = await conn.execute(
        "select token, parent from auth.refresh_tokens where session_id = %s and not coalesce(revoked, false) "
        "order by id desc limit 1", (session_id,))
    return await cur.fetchone()


async def revoke_family(conn: AsyncConnection, session_id: str) -> None:
    """GoTrue's RevokeTokenFamily: every live token of the session, after a reuse outside the interval."""
    await conn.execute(
        "update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = %s and revoked = false",
        (session_id,))


async def rotate(conn: AsyncConnection, old: RefreshRow) -> str:
    """GoTrue's GrantRefreshTokenSwap: revoke the used token, issue its child."""
    token = new_refresh_token()
    await conn.execute("update auth.refresh_tokens set revoked = true, updated_at = now() where id = %s", (old.id,))
    await conn.execute(
        "insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id) "
        "values (%s, %s, %s, false, now(), now(), %s, %s)", (INSTANCE_ID, token, old.user_id, old.token, old.session_id))
    await conn.execute(
        "update auth.sessions set refreshed_at = now() at time zone 'utc', updated_at = now() where id = %s",
        (old.session_id,))
    return token


async def logout(conn: AsyncConnection, user_id: str, session_id: str | None, scope: str) -> None:
    """GoTrue's Logout: sessions deleted (their refresh tokens go with them)."""
    if session_id and scope == "local":
        await conn.execute("delete from auth.sessions where id = %s", (session_id,))
    elif session_id and scope == "others":
        await conn.execute("delete from auth.sessions where id <> %s and user_id = %s", (session_id, user_id))
    else:
        await conn.execute("delete from auth.sessions where user_id = %s", (user_id,))


async def merge_metadata(conn: AsyncConnection, user_id: str, column: str, updates: dict[str, Any]) -> None:
    """GoTrue merges metadata key by key; a null value removes the key."""
    assert column in ("raw_user_meta_data", "raw_app_meta_data")
    keep = {k: v for k, v in updates.items() if v is not None}
    drop = [k for k, v in updates.items() if v is None]
    await conn.execute(
        f"update auth.users set {column} = (coalesce({column}, '{{}}'::jsonb) || %s) - %s::text[], "
        f"updated_at = now() where id = %s", (Jsonb(keep), drop, user_id))


async def set_email(conn: AsyncConnection, user_id: str, email: str) -> None:
    """GoTrue's SetEmail plus the email identity following it."""
    await conn.execute(
        "update auth.users set email = %s, email_change = '', email_change_token_new = '', "
        "email_change_sent_at = null, updated_at = now() where id = %s", (email, user_id))
    await conn.execute(
        "update auth.identities set identity_data = identity_data || jsonb_build_object('email', %s::text), "
        "updated_at = now() where user_id = %s and provider = 'email'", (email, user_id))


async def soft_delete(conn: AsyncConnection, user_id: str) -> None:
    """GoTrue's SoftDeleteUser: email and phone replaced by hashes, secrets and metadata cleared, sessions ended."""
    await conn.execute(
        """
        update auth.users set
          email = case when email is null or email = '' then email
                  else encode(sha256(convert_to(id::text || email, 'utf8')), 'base64') end,
          phone = case when phone is null or phone = '' then phone
                  else encode(sha256(convert_to(id::text || phone, 'utf8')), 'base64') end,
          encrypted_password = null, confirmation_token = '', recovery_token = '',
          email_change_token_current = '', email_change_token_new = '', phone_change_token = '',
          raw_user_meta_data = '{}', raw_app_meta_data = '{}', deleted_at = now(), updated_at = now()
        where id = %s
        """, (user_id,))
    await conn.execute(
        "update auth.identities set identity_data = '{}', "
        "provider_id = encode(sha256(convert_to(user_id::text || provider_id, 'utf8')), 'base64') "
        "where user_id = %s", (user_id,))
    await conn.execute("delete from auth.sessions where user_id = %s", (user_id,))


async def apply_ban(conn: AsyncConnection, user_id: str, duration: Any) -> None:
    if duration is None or duration == "":
        return
    if duration == "none":
        await conn.execute("update auth.users set banned_until = null where id = %s", (user_id,))
        return
    match = re.fullmatch(r"(\d+)(h|m|s)", str(duration))
    if not match:
        raise bad_request("validation_failed", f"invalid format for ban duration: {duration}")
    seconds = int(match.group(1)) * {"h": 3600, "m": 60, "s": 1}[match.group(2)]
    await conn.execute("update auth.users set banned_until = now() + make_interval(secs => %s) where id = %s",
                       (seconds, user_id))
