"""Row level security: is it on where the API reaches, and do the policies hold up.

Policy expressions are read back from the catalog (`pg_get_expr`) and parsed with
pglast, then judged by the same code as the lint (`supakit.lint.expr`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from pglast.parser import ParseError

from ..lint.expr import is_true, parse_expression, per_row_calls, reads_user_metadata
from .checks import Context, Issue, Level, check, not_extension_member

ACTIONS = {"r": "select", "a": "insert", "w": "update", "d": "delete"}

_NOTES = (
    "create table public.doctor_notes (id bigint primary key, owner_id uuid, body text);\n"
    "alter table public.doctor_notes enable row level security;\n"
)


def policies(ctx: Context) -> list[dict[str, Any]]:
    """Every policy on the app's tables, roles by name (`public` for all)."""
    return ctx.rows(
        """
        select c.oid::regclass::text as table_name, p.polname as name, p.polcmd as cmd,
               p.polpermissive as permissive, c.relrowsecurity as rls,
               array(select case when r = 0 then 'public' else pg_catalog.pg_get_userbyid(r) end
                     from unnest(p.polroles) as r order by 1) as roles,
               pg_catalog.pg_get_expr(p.polqual, p.polrelid) as qual,
               pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as with_check
        from pg_catalog.pg_policy p
        join pg_catalog.pg_class c on c.oid = p.polrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where not (n.nspname = any(%(managed)s))
        order by 1, 2
        """
    )


def _parsed(text: str | None):
    if text is None:
        return None
    try:
        return parse_expression(text)
    except ParseError:
        return None


@check(
    "rls-disabled", Level.ERROR, "security", "a table in an exposed schema without row level security",
    why="PostgREST serves every table in an exposed schema and Supabase grants them to anon and "
        "authenticated: without RLS, anyone holding the public anon key reads and writes every row.",
    fix="`alter table <table> enable row level security;` and add policies for what callers may do.",
    bad="create table public.doctor_notes (id bigint primary key, body text);",
    good="alter table public.doctor_notes enable row level security;",
)
def rls_disabled(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        f"""
        select c.oid::regclass::text as name
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = any(%(exposed)s) and not c.relrowsecurity
          and {not_extension_member('c.oid')}
        order by 1
        """
    )
    for row in rows:
        yield Issue(row["name"], "row level security is off, and the API serves this table")


@check(
    "policy-on-rls-disabled-table", Level.ERROR, "security", "policies on a table whose RLS is off",
    why="Policies do nothing until RLS is enabled: the table looks protected in review while "
        "every caller sees every row.",
    fix="`alter table <table> enable row level security;` (or drop the policies if the table is "
        "deliberately open, and say so).",
    bad="alter table public.projects disable row level security;",
    good="alter table public.projects enable row level security;",
)
def policy_on_rls_disabled(ctx: Context) -> Iterator[Issue]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for policy in policies(ctx):
        if not policy["rls"]:
            grouped[policy["table_name"]].append(policy["name"])
    for table, names in grouped.items():
        yield Issue(table, f"has policies ({', '.join(names)}) but row level security is off")


@check(
    "rls-enabled-no-policy", Level.INFO, "security", "RLS enabled with no policy",
    why="With RLS on and no policy, API callers see no rows and can write none: fine for a "
        "table only the service role or security-definer functions touch, a bug otherwise. "
        "Checked in every schema of the app, exposed or not (a private table read through "
        "security-definer functions is the usual deliberate case).",
    fix="Add the policies callers need, or note that the table is deliberately closed.",
    bad=_NOTES,
    good="create policy doctor_notes_read on public.doctor_notes for select to authenticated\n"
         "  using (owner_id = (select auth.uid()));",
)
def rls_enabled_no_policy(ctx: Context) -> Iterator[Issue]:
    rows = ctx.rows(
        f"""
        select c.oid::regclass::text as name, n.nspname = any(%(exposed)s) as exposed
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not (n.nspname = any(%(managed)s)) and n.nspname not like 'pg\\_%%'
          and c.relrowsecurity
          and not exists (select 1 from pg_catalog.pg_policy p where p.polrelid = c.oid)
          and {not_extension_member('c.oid')}
        order by 1
        """
    )
    for row in rows:
        where = "API callers get nothing" if row["exposed"] else "only its owner and roles that bypass RLS reach it"
        yield Issue(row["name"], f"row level security is on but no policy exists: {where}")


def _applies(policy: dict[str, Any], role: str) -> bool:
    return role in policy["roles"] or "public" in policy["roles"]


@check(
    "multiple-permissive-policies", Level.WARN, "performance",
    "more than one permissive policy for the same role and action",
    why="Postgres evaluates every permissive policy for every row and ORs the results: two "
        "policies cost two checks per row, and the combined rule is harder to review.",
    fix="Merge them into one policy per role and action (`using (a or b)`), or make the "
        "narrowing one `as restrictive`.",
    bad=_NOTES
    + "create policy doctor_notes_own on public.doctor_notes for select to authenticated\n"
      "  using (owner_id = (select auth.uid()));\n"
      "create policy doctor_notes_public on public.doctor_notes for select to authenticated\n"
      "  using (body is not null);",
    good="drop policy doctor_notes_public on public.doctor_notes;",
)
def multiple_permissive(ctx: Context) -> Iterator[Issue]:
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for policy in policies(ctx):
        if policy["permissive"]:
            by_table[policy["table_name"]].append(policy)
    trusted = _bypassers(ctx)  # their policies are never evaluated
    for table, items in by_table.items():
        roles = sorted(({r for p in items for r in p["roles"] if r != "public"} | set(ctx.end_user_roles)) - trusted)
        for code, action in ACTIONS.items():
            for role in roles:
                names = [p["name"] for p in items if p["cmd"] in (code, "*") and _applies(p, role)]
                if len(names) > 1:
                    yield Issue(table, f"{len(names)} permissive {action} policies apply to {role}: {', '.join(names)}")


@check(
    "policy-auth-call-per-row", Level.WARN, "performance",
    "a policy calling auth.*() or current_setting() once per row",
    why="Unwrapped, `auth.uid()` re-reads and parses the JWT claims for every row the policy "
        "checks; on a large table that is most of the query's time.",
    fix="Wrap the call in a select: `(select auth.uid())`, which Postgres evaluates once per query.",
    bad=_NOTES
    + "create policy doctor_notes_own on public.doctor_notes for select to authenticated\n"
      "  using (owner_id = auth.uid());",
    good="alter policy doctor_notes_own on public.doctor_notes using (owner_id = (select auth.uid()));",
)
def per_row_auth(ctx: Context) -> Iterator[Issue]:
    for policy in policies(ctx):
        calls = set()
        for text in (policy["qual"], policy["with_check"]):
            calls.update(per_row_calls(_parsed(text)))
        if calls:
            yield Issue(f"{policy['name']} on {policy['table_name']}", f"calls {', '.join(sorted(calls))} for every row")


@check(
    "policy-user-metadata", Level.ERROR, "security", "a policy reading user-editable user_metadata",
    why="Any signed-in user can rewrite their own `user_metadata` through the Auth API, so a "
        "policy that trusts it lets users grant themselves access.",
    fix="Base the decision on tables users cannot write (memberships, roles) or on "
        "`app_metadata`, which only the service role sets.",
    bad=_NOTES
    + "create policy doctor_notes_admin on public.doctor_notes for all to authenticated\n"
      "  using (((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');",
    good="alter policy doctor_notes_admin on public.doctor_notes\n"
         "  using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');",
)
def user_metadata(ctx: Context) -> Iterator[Issue]:
    for policy in policies(ctx):
        if any(reads_user_metadata(_parsed(t)) for t in (policy["qual"], policy["with_check"])):
            yield Issue(f"{policy['name']} on {policy['table_name']}", "decides access from user_metadata, which users edit themselves")


def _bypassers(ctx: Context) -> set[str]:
    rows = ctx.rows("select rolname from pg_catalog.pg_roles where rolbypassrls or rolsuper")
    return {r["rolname"] for r in rows}


@check(
    "write-policy-always-true", Level.WARN, "security", "a write policy that is always true",
    why="`with check (true)` on insert, or `using (true)` on update or delete, lets every caller "
        "it applies to write any row: RLS is on but decides nothing.",
    fix="Check ownership or membership in the expression, or restrict the policy to the service role.",
    bad=_NOTES
    + "create policy doctor_notes_insert on public.doctor_notes for insert to authenticated\n"
      "  with check (true);",
    good="alter policy doctor_notes_insert on public.doctor_notes\n"
         "  with check (owner_id = (select auth.uid()));",
)
def write_always_true(ctx: Context) -> Iterator[Issue]:
    trusted = _bypassers(ctx)
    for policy in policies(ctx):
        if not policy["permissive"] or not policy["roles"] or set(policy["roles"]) <= trusted:
            continue
        qual, check_ = _parsed(policy["qual"]), _parsed(policy["with_check"])
        cmd = policy["cmd"]
        always = (
            (cmd == "a" and is_true(check_))
            or (cmd in ("w", "d") and is_true(qual))
            or (cmd == "*" and (is_true(qual) or is_true(check_)))
        )
        if always:
            action = {"a": "insert", "w": "update", "d": "delete", "*": "all"}[cmd]
            yield Issue(
                f"{policy['name']} on {policy['table_name']}",
                f"{action} policy for {', '.join(policy['roles'])} is always true",
            )
