"""Functions: a pinned search_path, and security-definer functions the API may call.

A security-definer function in an exposed schema is an RPC that runs with its
owner's rights. It is deliberate when anon cannot call it and it asks who the
caller is (auth.uid(), auth.jwt(), ... directly or through a function it calls);
otherwise it hands RLS-free access to whoever may execute it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pglast.parser import ParseError, scan

from ..lint.expr import CALLER_FUNCTIONS, SETTING_FUNCTIONS
from .checks import Context, Issue, Level, check, not_extension_member

_PROC = "'pg_catalog.pg_proc'"
_NAME_KINDS = ("NO_KEYWORD", "UNRESERVED_KEYWORD", "COL_NAME_KEYWORD", "TYPE_FUNC_NAME_KEYWORD")
_CALLER = {f"{schema}.{name}" for schema, name in CALLER_FUNCTIONS} | set(SETTING_FUNCTIONS) | {
    f"pg_catalog.{name}" for name in SETTING_FUNCTIONS
}


@check(
    "function-search-path-mutable", Level.WARN, "security", "a function without a pinned search_path",
    why="Names in its body resolve through the caller's search_path at run time: whoever can put "
        "an object earlier on that path changes what the function does (and, for a security "
        "definer or a trigger, does it with other rights).",
    fix="`alter function <fn> set search_path = '';` and schema-qualify every name in the body.",
    bad="create function public.doctor_answer() returns integer language sql as 'select 42';",
    good="alter function public.doctor_answer() set search_path = '';",
)
def search_path_mutable(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        f"""
        select p.oid::regprocedure::text as name
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        join pg_catalog.pg_language l on l.oid = p.prolang
        where p.prokind in ('f', 'p') and l.lanname not in ('c', 'internal')
          and not (n.nspname = any(%(managed)s)) and n.nspname not like 'pg\\_%%'
          and not exists (select 1 from unnest(coalesce(p.proconfig, '{{}}')) as c where c like 'search\\_path=%%')
          and {not_extension_member('p.oid', _PROC)}
        order by 1
        """
    )
    for row in rows:
        yield Issue(row["name"], "search_path is not set: names resolve through the caller's path")


def called_names(body: str) -> set[str]:
    """Function names called in a body (SQL or PL/pgSQL), read with Postgres' scanner."""
    try:
        tokens = scan(body)
    except ParseError:
        return set()
    names: set[str] = set()

    def word(i: int) -> str | None:
        token = tokens[i]
        if token.kind not in _NAME_KINDS or token.name in ("SCONST", "ICONST", "FCONST", "BCONST", "XCONST", "PARAM"):
            return None
        text = body[token.start : token.end + 1]
        return text[1:-1].replace('""', '"') if text.startswith('"') else text.lower()

    for i, token in enumerate(tokens):
        if token.name != "ASCII_40" or i == 0:  # "("
            continue
        name = word(i - 1)
        if name is None:
            continue
        if i >= 3 and tokens[i - 2].name == "ASCII_46":  # schema "." name "("
            schema = word(i - 3)
            if schema:
                names.add(f"{schema}.{name}")
                continue
        names.add(name)
    return names


def callers_checked(functions: list[dict[str, Any]]) -> set[str]:
    """Qualified names of the functions that consult the caller's identity, directly or not."""
    calls = {f["qualified"]: called_names(f["body"] or "") for f in functions}
    by_bare: dict[str, set[str]] = {}
    for name in calls:
        by_bare.setdefault(name.split(".", 1)[1], set()).add(name)
    checked = {name for name, called in calls.items() if called & _CALLER}
    changed = True
    while changed:
        changed = False
        for name, called in calls.items():
            if name in checked:
                continue
            targets = set()
            for call in called:
                targets |= {call} if "." in call else by_bare.get(call, set())
            if targets & checked:
                checked.add(name)
                changed = True
    return checked


@check(
    "security-definer-function-executable", Level.WARN, "security",
    "a security-definer function in an exposed schema that API callers should not run",
    why="PostgREST serves it as an RPC that runs with its owner's rights, past RLS. Postgres "
        "grants EXECUTE to public and Supabase to anon: unless revoked, signed-out callers run "
        "it; and one that never asks who is calling acts the same for every signed-in user.",
    fix="`revoke execute on function <fn> from public, anon;` (and from authenticated if it is "
        "not an RPC), check the caller inside (`auth.uid()`), make it `security invoker`, or "
        "move it to a schema the API does not expose.",
    bad="create function public.doctor_all_emails() returns setof text language sql stable\n"
        "  security definer set search_path = '' as 'select email from public.profiles';",
    good="revoke execute on function public.doctor_all_emails() from public, anon, authenticated;",
)
def definer_executable(ctx: Context) -> Iterator[Issue]:
    functions = ctx.rows(
        f"""
        select p.oid::regprocedure::text as name, n.nspname || '.' || p.proname as qualified,
               p.prosecdef as definer, n.nspname = any(%(exposed)s) as exposed,
               case when p.prosrc <> '' then p.prosrc else pg_catalog.pg_get_functiondef(p.oid) end as body,
               array(select r from unnest(%(end_user_roles)s::text[]) as r
                     where pg_catalog.has_function_privilege(r, p.oid, 'execute') order by 1) as executors
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        join pg_catalog.pg_language l on l.oid = p.prolang
        where p.prokind in ('f', 'p') and l.lanname not in ('c', 'internal')
          and (n.nspname = 'auth' or not (n.nspname = any(%(managed)s)))
          and {not_extension_member('p.oid', _PROC)}
        order by 1
        """
    )
    checked = callers_checked(functions)
    for fn in functions:
        if not (fn["definer"] and fn["exposed"]):
            continue
        if "anon" in fn["executors"]:
            yield Issue(fn["name"], "anon (signed-out callers) can execute it with its owner's rights")
        elif "authenticated" in fn["executors"] and fn["qualified"] not in checked:
            yield Issue(fn["name"], "every signed-in user can execute it with its owner's rights, and it never checks who is calling")


def _tenancy(ctx: Context) -> tuple[dict[str, str], set[str]]:
    """Tenant tables (a column `organization_id`, or the table such a column references), as
    `qualified name -> bare name`; and which of them are memberships (they also hold `user_id`)."""
    rows = ctx.rows(
        """
        with tenant as (
          select a.attrelid as oid from pg_catalog.pg_attribute a
          where a.attname = 'organization_id' and a.attnum > 0 and not a.attisdropped
          union
          select c.confrelid from pg_catalog.pg_constraint c
          join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
          where c.contype = 'f' and a.attname = 'organization_id'
        )
        select n.nspname || '.' || r.relname as qualified, r.relname as bare,
               exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = r.oid and a.attname = 'user_id'
                       and not a.attisdropped)
               and exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = r.oid
                           and a.attname = 'organization_id' and not a.attisdropped) as membership
        from tenant t join pg_catalog.pg_class r on r.oid = t.oid
        join pg_catalog.pg_namespace n on n.oid = r.relnamespace
        where r.relkind in ('r', 'p') and not (n.nspname = any(%(managed)s))
        """
    )
    return {r["qualified"]: r["bare"] for r in rows}, {r["qualified"] for r in rows if r["membership"]}


def mentions(body: str, qualified: str) -> bool:
    """Whether a body names the table: schema-qualified (as pinned search paths need)."""
    schema, table = qualified.split(".", 1)
    pattern = rf'(?<![\w."]){re.escape(schema)}\s*\.\s*"?{re.escape(table)}\b'
    return re.search(pattern, body.lower()) is not None


def membership_checked(functions: list[dict[str, Any]], memberships: set[str]) -> set[str]:
    """Functions that read a membership table and ask who the caller is, or call one that does."""
    calls = {f["qualified"]: called_names(f["body"] or "") for f in functions}
    checked = {
        f["qualified"] for f in functions
        if calls[f["qualified"]] & _CALLER and any(mentions(f["body"] or "", m) for m in memberships)
    }
    by_bare: dict[str, set[str]] = {}
    for name in calls:
        by_bare.setdefault(name.split(".", 1)[1], set()).add(name)
    changed = True
    while changed:
        changed = False
        for name, called in calls.items():
            if name in checked:
                continue
            targets: set[str] = set()
            for call in called:
                targets |= {call} if "." in call else by_bare.get(call, set())
            if targets & checked:
                checked.add(name)
                changed = True
    return checked


@check(
    "definer-without-membership-check", Level.WARN, "security",
    "a security-definer RPC that touches tenant tables without checking the caller's membership",
    why="It runs past RLS, so the membership check the policies would make is its own job. Asking "
        "`auth.uid()` only proves someone is signed in: any signed-in user can then read or write "
        "every organization's rows through it.",
    fix="Check the caller's membership and role in the row's organization (e.g. "
        "`perform private.require_org_role(org, '{admin}', 'do this');`), make it `security "
        "invoker` so RLS applies, or revoke execute from authenticated.",
    bad="create function public.doctor_rename_project(project uuid, new_name text) returns void\n"
        "  language sql security definer set search_path = ''\n"
        "  as $$ update public.projects set name = new_name where id = project and auth.uid() is not null $$;\n"
        "revoke execute on function public.doctor_rename_project(uuid, text) from public, anon;\n"
        "grant execute on function public.doctor_rename_project(uuid, text) to authenticated;",
    good="revoke execute on function public.doctor_rename_project(uuid, text) from authenticated;",
)
def definer_without_membership_check(ctx: Context) -> Iterator[Issue]:
    tenant, memberships = _tenancy(ctx)
    if not tenant:
        return
    functions = ctx.rows(
        f"""
        select p.oid::regprocedure::text as name, n.nspname || '.' || p.proname as qualified,
               p.prosecdef as definer, n.nspname = any(%(exposed)s) as exposed,
               case when p.prosrc <> '' then p.prosrc else pg_catalog.pg_get_functiondef(p.oid) end as body,
               'authenticated' = any(%(end_user_roles)s::text[])
                 and pg_catalog.has_function_privilege('authenticated', p.oid, 'execute') as by_authenticated
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        join pg_catalog.pg_language l on l.oid = p.prolang
        where p.prokind in ('f', 'p') and l.lanname not in ('c', 'internal')
          and (n.nspname = 'auth' or not (n.nspname = any(%(managed)s)))
          and {not_extension_member('p.oid', _PROC)}
        order by 1
        """
    )
    checked = membership_checked(functions, memberships)
    for fn in functions:
        if not (fn["definer"] and fn["exposed"] and fn["by_authenticated"]) or fn["qualified"] in checked:
            continue
        touched = sorted(q for q in tenant if mentions(fn["body"] or "", q))
        if touched:
            yield Issue(fn["name"], f"reads or writes {', '.join(touched)} with its owner's rights and never checks "
                                    "the caller's membership")
