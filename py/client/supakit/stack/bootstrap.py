"""Apply the Supabase compatibility bootstrap (packaged `sql/bootstrap/supabase_compat.sql`).

It is environment, not schema: skipped on a real Supabase project, where
`auth.users` exists and the `auth` schema does not carry our marker comment.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from ..resources import read_sql

MARKER = "supakit compat bootstrap"


def is_real_supabase(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select to_regclass('auth.users') is not null, "
        "coalesce(obj_description(to_regnamespace('auth'), 'pg_namespace'), '')"
    ).fetchone()
    has_users, comment = row
    return bool(has_users) and not comment.startswith(MARKER)


def is_bootstrapped(conn: psycopg.Connection) -> bool:
    """Whether supakit's bootstrap ran here (its marker on the `auth` schema)."""
    comment = conn.execute("select obj_description(to_regnamespace('auth'), 'pg_namespace')").fetchone()[0]
    return (comment or "").startswith(MARKER)


def is_superuser(conn: psycopg.Connection) -> bool:
    return bool(conn.execute("select rolsuper from pg_catalog.pg_roles where rolname = current_user").fetchone()[0])


SCRIPT_NAME = "supabase_compat.sql"


def bootstrap_sql() -> str:
    """supakit's own bootstrap, from the installed package."""
    return read_sql("bootstrap", SCRIPT_NAME)


def apply_bootstrap(
    conn: psycopg.Connection,
    authenticator_password: str | None = None,
    migrate_password: str | None = None,
) -> bool:
    """Create Supabase's roles, `auth` schema and default privileges; False if skipped.

    Runs in one transaction, as a superuser (`supabase_admin` on the local and
    container backends); roles are cluster-wide, the rest is per database.
    `migrate_password`: the login password of `postgres`, the role that migrates,
    where the bootstrap made it (the superuser is another role).
    """
    if is_real_supabase(conn):
        return False
    if is_bootstrapped(conn) and not is_superuser(conn):
        # Supabase's setup is its superuser's: the stack's `postgres` (the DB URL's user)
        # finds it done, as on Supabase; `supakit up` re-applies it as supabase_admin.
        return False
    script = bootstrap_sql()
    with conn.transaction():
        # Serialise concurrent bootstraps: `create role` checks are not race-free.
        conn.execute("select pg_advisory_xact_lock(hashtext('supakit.bootstrap'))")
        conn.execute(script)
        if authenticator_password is not None:
            conn.execute(
                sql.SQL("alter role authenticator with login password {}").format(
                    sql.Literal(authenticator_password)
                )
            )
        if migrate_password is not None:
            conn.execute(
                sql.SQL("alter role postgres with login password {}").format(sql.Literal(migrate_password))
            )
    return True
