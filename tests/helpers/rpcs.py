"""Calling the tenancy RPCs (sql/functions/050-070) as an API caller would, and the
organization a test acts in (`Team`, the `team` fixture of tests/rpcs/conftest.py).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from helpers import one


SLUG_RULE = "use 3 to 48 lower-case letters, digits and dashes, starting and ending with a letter or digit"
KEEP_ADMIN_HINT = "make another member an admin first, or delete the organization"
NOT_A_MEMBER_HINT = "it does not exist, or you are not a member"
TOKEN = re.compile(r"[0-9a-f]{64}")


def unique_slug(prefix: str = "org") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def rpc(actor, fn: str, **args) -> list[dict]:
    """`select * from public.fn(name => value, ...)` as `actor`, in one request."""
    query = sql.SQL("select * from public.{}({})").format(
        sql.Identifier(fn),
        sql.SQL(", ").join(sql.SQL("{} => {}").format(sql.Identifier(name), sql.Placeholder()) for name in args),
    )
    with actor.sql.transaction() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, list(args.values()))
        return cur.fetchall()


def rpc_one(actor, fn: str, **args) -> dict:
    rows = rpc(actor, fn, **args)
    assert len(rows) == 1, rows
    return rows[0]


def refused(actor, fn: str, sqlstate: str, **args) -> psycopg.Error:
    """Calls the RPC, expects it to raise `sqlstate`, and returns the error."""
    with pytest.raises(psycopg.Error) as info:
        rpc(actor, fn, **args)
    assert info.value.sqlstate == sqlstate, f"{info.value.sqlstate}: {info.value}"
    return info.value


def message(err: psycopg.Error) -> str:
    return err.diag.message_primary or ""


def new_org(admin, name: str = "Acme") -> str:
    return str(rpc_one(admin, "create_organization", name=name, slug=unique_slug())["id"])


def add(service, org: str, user, role: str = "member") -> dict:
    """A direct add: the service role's (provisioning); admins invite instead."""
    return rpc_one(service, "add_member", organization_id=org, user_id=user.id, role=role)


def role_of(db, org: str, user) -> str | None:
    return one(db, "select role::text from public.organization_members where organization_id = %s and user_id = %s",
               (org, user.id))


def admin_count(db, org: str) -> int:
    return one(db, "select count(*) from public.organization_members where organization_id = %s and role = 'admin'",
               (org,))


def tenancy_counts(db) -> tuple[int, int, int]:
    return tuple(one(db, f"select count(*) from public.{table}")
                 for table in ("organizations", "organization_members", "subscriptions"))


def invite(admin, org: str, email: str, **args) -> dict:
    return rpc_one(admin, "invite_member", organization_id=org, email=email, **args)


def invitation(db, invitation_id) -> dict:
    with db.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from private.invitations where id = %s", (invitation_id,)).fetchone()


def expire(db, invitation_id) -> None:
    db.execute("update private.invitations set expires_at = now() - interval '1 minute' where id = %s",
               (invitation_id,))


def statuses(admin, org: str) -> dict[str, str]:
    return {row["email"]: row["status"] for row in rpc(admin, "list_invitations", organization_id=org)}


def without_profile(db, make_user):
    """A signed-in auth user without an email, hence without a profile (a phone sign-up)."""
    user = make_user()
    db.execute("update auth.users set email = null where id = %s", (user.id,))
    db.execute("delete from public.profiles where id = %s", (user.id,))
    assert one(db, "select email from auth.users where id = %s", (user.id,)) is None
    return user


@dataclass
class Team:
    """One organization with an admin, a member and a viewer, and an outsider."""

    org: str
    admin: Any
    member: Any
    viewer: Any
    outsider: Any
    service: Any


def slug_of(db, org: str) -> str:
    return one(db, "select slug from public.organizations where id = %s", (org,))


PUBLIC_FUNCTIONS = """
    select p.oid, p.oid::regprocedure::text as signature, p.proname, p.prosecdef, p.proconfig,
           coalesce(array(select a.name from unnest(p.proargnames, p.proargmodes) as a(name, mode)
                          where a.mode is null or a.mode in ('i', 'b', 'v')), p.proargnames) as arg_names,
           array(select format_type(t, null) from unnest(p.proargtypes) as t) as arg_types
    from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
    order by p.proname
"""


def public_functions(conn) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(PUBLIC_FUNCTIONS).fetchall()
    assert rows, "no functions in public?"
    return rows
