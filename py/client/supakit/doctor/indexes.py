"""Indexes and keys: foreign keys without an index, duplicate indexes, tables without a key."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import BoolExprType, NullTestType
from pglast.parser import ParseError

from ..lint.expr import parse_expression
from ..lint.nodes import strings
from .checks import Context, Issue, Level, check, not_extension_member


def _implied_by_equality(predicate: str, columns: list[str]) -> bool:
    """A partial index still serves `fk = $1` lookups if its predicate only says `fk is not null`."""
    try:
        expr = parse_expression(predicate)
    except ParseError:
        return False
    terms = expr.args if isinstance(expr, ast.BoolExpr) and expr.boolop == BoolExprType.AND_EXPR else (expr,)
    return all(
        isinstance(t, ast.NullTest)
        and t.nulltesttype == NullTestType.IS_NOT_NULL
        and isinstance(t.arg, ast.ColumnRef)
        and strings(t.arg.fields)[-1] in columns
        for t in terms
    )


@check(
    "unindexed-foreign-key", Level.INFO, "performance", "a foreign key without an index on its columns",
    why="Deleting or updating a referenced row makes Postgres look up the referencing rows: "
        "without an index whose leading columns are the foreign key, each lookup scans the "
        "whole table (and cascades hold their locks that long). Joins along it suffer too.",
    fix="`create index concurrently on <table> (<fk columns>);` in a non-transactional migration.",
    bad="create table public.doctor_tags (id bigint primary key,\n"
        "  project_id uuid references public.projects (id) on delete cascade);\n"
        "alter table public.doctor_tags enable row level security;",
    good="create index doctor_tags_project_id_idx on public.doctor_tags (project_id);",
)
def unindexed_foreign_key(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        """
        select c.conrelid::regclass::text as table_name, c.conname as name,
               array(select a.attname::text from unnest(c.conkey) with ordinality as k(attnum, n)
                     join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
                     order by k.n) as columns,
               array(select coalesce(pg_catalog.pg_get_expr(i.indpred, i.indrelid), '')
                     from pg_catalog.pg_index i
                     where i.indrelid = c.conrelid and i.indisvalid
                       and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] @> c.conkey
                       and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] <@ c.conkey
                    ) as predicates
        from pg_catalog.pg_constraint c
        join pg_catalog.pg_class t on t.oid = c.conrelid
        join pg_catalog.pg_namespace n on n.oid = t.relnamespace
        where c.contype = 'f' and not (n.nspname = any(%(managed)s))
        order by 1, 2
        """
    )
    for row in rows:
        covered = any(p == "" or _implied_by_equality(p, row["columns"]) for p in row["predicates"])
        if not covered:
            columns = ", ".join(row["columns"])
            yield Issue(row["table_name"], f"foreign key {row['name']} ({columns}) has no index leading with its columns")


@check(
    "duplicate-index", Level.WARN, "performance", "identical indexes on the same table",
    why="Every write updates both, they take twice the space and cache, and the planner gains nothing.",
    fix="Keep one (the one a constraint uses, if any): `drop index concurrently <index>;`.",
    bad="create index doctor_projects_org_idx on public.projects (organization_id);",
    good="drop index public.doctor_projects_org_idx;",
)
def duplicate_index(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        """
        select i.indrelid::regclass::text as table_name,
               array_agg(i.indexrelid::regclass::text order by i.indexrelid::regclass::text) as indexes
        from pg_catalog.pg_index i
        join pg_catalog.pg_class t on t.oid = i.indrelid
        join pg_catalog.pg_namespace n on n.oid = t.relnamespace
        where not (n.nspname = any(%(managed)s))
        group by i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text, i.indoption::text,
                 coalesce(pg_catalog.pg_get_expr(i.indexprs, i.indrelid), ''),
                 coalesce(pg_catalog.pg_get_expr(i.indpred, i.indrelid), '')
        having count(*) > 1
        order by 1
        """
    )
    for row in rows:
        yield Issue(row["table_name"], f"indexes {', '.join(row['indexes'])} are identical")


@check(
    "table-without-primary-key", Level.INFO, "performance", "a table without a primary key",
    why="Rows cannot be addressed reliably: logical replication (Supabase Realtime, read "
        "replicas) cannot send its updates and deletes, and PostgREST cannot upsert into it.",
    fix="`alter table <table> add column id bigint generated always as identity primary key;` "
        "(or a primary key over existing unique columns, built with `using index`).",
    bad="create table public.doctor_events (body text);\n"
        "alter table public.doctor_events enable row level security;",
    good="alter table public.doctor_events add column id bigint generated always as identity primary key;",
)
def without_primary_key(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        f"""
        select c.oid::regclass::text as name
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not (n.nspname = any(%(managed)s)) and n.nspname not like 'pg\\_%%'
          and not exists (select 1 from pg_catalog.pg_constraint k where k.conrelid = c.oid and k.contype = 'p')
          and {not_extension_member('c.oid')}
        order by 1
        """
    )
    for row in rows:
        yield Issue(row["name"], "has no primary key")


@check(
    "invalid-index", Level.WARN, "performance", "an invalid index (left by a failed concurrent build)",
    why="A `create index concurrently` that fails (a duplicate for a unique index, a cancelled or "
        "timed-out build) leaves the index behind, marked invalid: the planner never uses it, "
        "every write still maintains it, and a unique one still refuses duplicates half-way.",
    fix="`drop index concurrently <index>;` and build it again, or `reindex index concurrently <index>;`.",
    bad="create table public.doctor_codes (id bigint primary key, code text);\n"
        "alter table public.doctor_codes enable row level security;\n"
        "create index doctor_codes_code_idx on public.doctor_codes (code);\n"
        "-- stands in for a concurrent build that failed half-way\n"
        "update pg_catalog.pg_index set indisvalid = false\n"
        "  where indexrelid = 'public.doctor_codes_code_idx'::regclass;",
    good="reindex index public.doctor_codes_code_idx;",
)
def invalid_index(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        f"""
        select i.indexrelid::regclass::text as name, i.indrelid::regclass::text as table_name
        from pg_catalog.pg_index i
        join pg_catalog.pg_class c on c.oid = i.indexrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where not i.indisvalid and not (n.nspname = any(%(managed)s)) and n.nspname not like 'pg\\_%%'
          and {not_extension_member('i.indexrelid')}
        order by 1
        """
    )
    for row in rows:
        yield Issue(row["name"], f"is invalid (on {row['table_name']}): unused by queries, still maintained by writes")
