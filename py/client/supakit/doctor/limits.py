"""Limits on API work and input: role timeouts, and bounds on what callers may write."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .checks import Context, Issue, Level, check

# The roles PostgREST logs in as or switches to (Supabase sets 3 s for anon, 8 s for the others).
TIMED_ROLES = ("anon", "authenticated", "authenticator")
_BOUNDS = re.compile(r"\b(char_length|character_length|length|octet_length|pg_column_size)\s*\(|= any \(array\[",
                     re.IGNORECASE)


@check(
    "api-role-without-statement-timeout", Level.WARN, "security", "an API role without a statement_timeout",
    why="Without one, a single slow or deliberately expensive request (a filter on an unindexed "
        "column, a huge embed) runs until it finishes, holding a connection of PostgREST's pool "
        "and its locks: a few of them stop the API for everyone.",
    fix="`alter role anon set statement_timeout = '3s';` and `'8s'` for authenticated and "
        "authenticator, as Supabase sets them (PostgREST applies the role's settings per request).",
    bad="alter role anon reset statement_timeout;",
    good="alter role anon set statement_timeout = '3s';",
)
def api_role_without_statement_timeout(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        """
        select r.rolname as name,
               exists (
                 select 1 from pg_catalog.pg_db_role_setting s, unnest(s.setconfig) as c
                 where s.setrole = r.oid
                   and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
                   and c like 'statement\\_timeout=%%' and c not in ('statement_timeout=0', 'statement_timeout=0ms')
               ) as timed
        from pg_catalog.pg_roles r
        where r.rolname = any(%(roles)s)
        order by 1
        """,
        roles=list(TIMED_ROLES),
    )
    for row in rows:
        if not row["timed"]:
            yield Issue(row["name"], "has no statement_timeout: one slow request runs (and holds a connection) unbounded")


@check(
    "unbounded-text-column", Level.INFO, "security", "a text or JSON column API callers write with no length bound",
    why="Whatever a signed-in (or signed-out) caller sends is stored: a megabyte name or a "
        "5 MB JSON blob costs storage, backups, every read of the row and every audit entry of "
        "it, and comes back whole in errors and lists.",
    fix="`alter table <t> add constraint <t>_<col>_length check (char_length(<col>) <= N) not valid;` "
        "then `validate constraint` in a later migration (`octet_length(<col>::text)` for JSON), "
        "or a `varchar(N)`.",
    bad="create table public.doctor_notes (id bigint primary key, body text);\n"
        "alter table public.doctor_notes enable row level security;",
    good="alter table public.doctor_notes add constraint doctor_notes_body_length check (char_length(body) <= 10000);",
)
def unbounded_text_column(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        """
        select c.oid::regclass::text as table_name, a.attname as column_name,
               pg_catalog.format_type(a.atttypid, a.atttypmod) as type_name,
               array(select pg_catalog.pg_get_constraintdef(k.oid) from pg_catalog.pg_constraint k
                     where k.conrelid = c.oid and k.contype = 'c' and a.attnum = any (k.conkey)) as checks
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relkind in ('r', 'p') and n.nspname = any(%(exposed)s)
          and (a.atttypid in ('text'::regtype, 'jsonb'::regtype, 'json'::regtype, 'bytea'::regtype)
               or (a.atttypid = 'varchar'::regtype and a.atttypmod < 0))
        order by 1, 2
        """
    )
    writable = ctx.rows(
        """
        select c.oid::regclass::text as table_name, a.attname as column_name
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        cross join unnest(%(end_user_roles)s::text[]) as r(role)
        where c.relkind in ('r', 'p') and n.nspname = any(%(exposed)s)
          and (pg_catalog.has_column_privilege(r.role, c.oid, a.attnum, 'insert')
               or pg_catalog.has_column_privilege(r.role, c.oid, a.attnum, 'update'))
        """
    )
    open_columns = {(w["table_name"], w["column_name"]) for w in writable}
    for row in rows:
        if (row["table_name"], row["column_name"]) not in open_columns:
            continue
        if any(_BOUNDS.search(definition) for definition in row["checks"]):
            continue
        yield Issue(f"{row['table_name']}.{row['column_name']}",
                    f"{row['type_name']} with no length check, and API callers write it")
