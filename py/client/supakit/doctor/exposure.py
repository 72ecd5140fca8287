"""What the API can reach that it should not: owner-rights views, auth.users, extensions, bookkeeping."""

from __future__ import annotations

from collections.abc import Iterator

from ..lint.nodes import truthy
from ..migrate.backend import SCHEMA as BOOKKEEPING_SCHEMA
from ..migrate.backend import YOYO_TABLES
from .checks import Context, Issue, Level, check, not_extension_member

_READERS = """array(select r from unnest(%(end_user_roles)s::text[]) as r
                    where pg_catalog.has_table_privilege(r, {oid}, 'select') order by 1)"""


def readers(oid: str) -> str:
    """SQL: the API roles that may select from the relation."""
    return _READERS.format(oid=oid)


def security_invoker(reloptions: list[str] | None) -> bool:
    for option in reloptions or ():
        key, _, value = option.partition("=")
        if key == "security_invoker":
            return truthy(value)
    return False


@check(
    "view-without-security-invoker", Level.ERROR, "security",
    "a view the API can read that runs with its owner's rights",
    why="Without `security_invoker`, a view reads its tables as its owner (usually a superuser "
        "or the migrating role), bypassing their RLS: every row is visible to anyone granted the view.",
    fix="`alter view <view> set (security_invoker = true);` (Postgres 15+), or revoke select "
        "from anon and authenticated.",
    bad="create view public.doctor_projects as select id, name from public.projects;",
    good="alter view public.doctor_projects set (security_invoker = true);",
)
def view_without_invoker(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        f"""
        select c.oid::regclass::text as name, c.reloptions, {readers('c.oid')} as readers
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'v' and n.nspname = any(%(exposed)s) and {not_extension_member('c.oid')}
        order by 1
        """
    )
    for row in rows:
        if row["readers"] and not security_invoker(row["reloptions"]):
            yield Issue(row["name"], f"readable by {', '.join(row['readers'])} and bypasses the RLS of the tables it reads")


@check(
    "materialized-view-in-api", Level.WARN, "security", "a materialized view the API can read",
    why="A materialized view is a copy of its query's rows with no RLS of its own: the API "
        "serves every row to everyone granted it.",
    fix="Move it to a schema the API does not expose, or revoke select from anon and authenticated.",
    bad="create materialized view public.doctor_project_names as select id, name from public.projects;",
    good="revoke select on public.doctor_project_names from anon, authenticated;",
)
def materialized_view(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        f"""
        select c.oid::regclass::text as name, {readers('c.oid')} as readers
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'm' and n.nspname = any(%(exposed)s) and {not_extension_member('c.oid')}
        order by 1
        """
    )
    for row in rows:
        if row["readers"]:
            yield Issue(row["name"], f"readable by {', '.join(row['readers'])}, with no row level security")


@check(
    "auth-users-exposed", Level.ERROR, "security", "auth.users exposed through a view",
    why="auth.users holds every user's email, phone and metadata; a view over it in an exposed "
        "schema serves them to API callers (as the view's owner, unless security_invoker).",
    fix="Drop the view, or expose only what is needed through a `security_invoker` view on "
        "public.profiles (or revoke select from anon and authenticated).",
    bad="create view public.doctor_users as select id, email from auth.users;",
    good="revoke select on public.doctor_users from anon, authenticated;",
)
def auth_users_exposed(ctx: Context) -> Iterator[Issue]:
    if not ctx.rows("select pg_catalog.to_regclass('auth.users') is not null as present")[0]["present"]:
        return
    rows = ctx.rows(
        f"""
        select distinct v.oid::regclass::text as name, v.relkind, v.reloptions, {readers('v.oid')} as readers,
               array(select r from unnest(%(end_user_roles)s::text[]) as r
                     where pg_catalog.has_table_privilege(r, 'auth.users'::regclass, 'select')) as direct
        from pg_catalog.pg_depend d
        join pg_catalog.pg_rewrite w on w.oid = d.objid
        join pg_catalog.pg_class v on v.oid = w.ev_class
        join pg_catalog.pg_namespace n on n.oid = v.relnamespace
        where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
          and d.refobjid = 'auth.users'::regclass and v.oid <> d.refobjid and n.nspname = any(%(exposed)s)
        order by 1
        """
    )
    for row in rows:
        owner_rights = row["relkind"] == "m" or not security_invoker(row["reloptions"])
        exposed_to = row["readers"] if owner_rights else sorted(set(row["readers"]) & set(row["direct"]))
        if exposed_to:
            yield Issue(row["name"], f"reads auth.users and is readable by {', '.join(exposed_to)}")


@check(
    "extension-in-exposed-schema", Level.WARN, "security", "an extension installed in an exposed schema",
    why="An extension's functions, types and tables land in the schema it is installed in: in "
        "an exposed one they become API endpoints nobody reviewed.",
    fix="`create schema if not exists extensions;` then `alter extension <name> set schema extensions;` "
        "(and install new ones `with schema extensions`).",
    bad="create extension if not exists citext with schema public;",
    good="create schema if not exists extensions;\nalter extension citext set schema extensions;",
)
def extension_in_exposed(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        """
        select e.extname as name, n.nspname as schema
        from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
        where n.nspname = any(%(exposed)s)
        order by 1
        """
    )
    for row in rows:
        yield Issue(f"extension {row['name']}", f"installed in exposed schema {row['schema']}")


@check(
    "bookkeeping-exposed", Level.ERROR, "security", "migration bookkeeping reachable through the API",
    why="The migrator's tables record what ran and hold its lock: readable they map the schema "
        "for an attacker, writable they let anyone mark migrations applied or block deploys.",
    fix=f"Keep `{BOOKKEEPING_SCHEMA}` out of PostgREST's `db-schemas` and revoke from anon and "
        f"authenticated: `revoke all on schema {BOOKKEEPING_SCHEMA} from anon, authenticated;`.",
    bad=f"grant usage on schema {BOOKKEEPING_SCHEMA} to anon;\n"
        f"grant select on {BOOKKEEPING_SCHEMA}.checksums to anon;",
    good=f"revoke all on {BOOKKEEPING_SCHEMA}.checksums from anon;\n"
         f"revoke all on schema {BOOKKEEPING_SCHEMA} from anon;",
)
def bookkeeping_exposed(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        """
        select c.oid::regclass::text as name, n.nspname = any(%(exposed)s) as exposed,
               array(select r from unnest(%(end_user_roles)s::text[]) as r
                     where pg_catalog.has_schema_privilege(r, n.oid, 'usage')
                       and pg_catalog.has_table_privilege(r, c.oid, 'select,insert,update,delete,truncate')
                     order by 1) as roles
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm') and (n.nspname = %(schema)s or c.relname = any(%(yoyo)s))
        order by 1
        """,
        schema=BOOKKEEPING_SCHEMA, yoyo=sorted(YOYO_TABLES),
    )
    for row in rows:
        if row["exposed"]:
            yield Issue(row["name"], "is in a schema the API exposes")
        elif row["roles"]:
            yield Issue(row["name"], f"{', '.join(row['roles'])} may use it: one db-schemas change from the API", Level.WARN)
