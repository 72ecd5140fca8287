"""Supabase rules: what keeps an exposed schema safe to serve through PostgREST."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ObjectType, RoleSpecType, VariableSetKind

from ..context import FileContext
from ..expr import per_row_calls, reads_user_metadata
from ..nodes import def_value, relation, schema_of, strings, truthy
from .registry import Hit, check


def _policies(ctx: FileContext) -> Iterator[tuple[int, str, ast.Node]]:
    for s in ctx.file.statements:
        if isinstance(s.node, (ast.CreatePolicyStmt, ast.AlterPolicyStmt)):
            yield s.line, f"{s.node.policy_name} on {relation(s.node.table)}", s.node


@check("table-without-rls")
def table_without_rls(ctx: FileContext) -> Iterator[Hit]:
    enabled = ctx.rls_enabled
    for s in ctx.file.statements:
        node = s.node
        target = None
        if isinstance(node, ast.CreateStmt):
            target = node.relation
        elif isinstance(node, ast.CreateTableAsStmt) and node.objtype == ObjectType.OBJECT_TABLE:
            target = node.into.rel
        if target is not None and target.relpersistence != "t" and ctx.exposed(schema_of(target)):
            if relation(target) not in enabled:
                message = f"creates {relation(target)} in exposed schema {schema_of(target)} without enabling row level security"
                yield Hit("table-without-rls", s.line, message)
        if isinstance(node, ast.AlterTableStmt) and ctx.exposed(schema_of(node.relation)):
            if any(cmd.subtype == AlterTableType.AT_DisableRowSecurity for cmd in node.cmds or ()):
                yield Hit("table-without-rls", s.line, f"disables row level security on {relation(node.relation)}")


@check("policy-without-role")
def policy_without_role(ctx: FileContext) -> Iterator[Hit]:
    for line, name, node in _policies(ctx):
        roles = node.roles or ()
        if (isinstance(node, ast.CreatePolicyStmt) and not roles) or any(r.roletype == RoleSpecType.ROLESPEC_PUBLIC for r in roles):
            yield Hit("policy-without-role", line, f"policy {name} applies to every role (public, anon included)")


@check("policy-auth-call-per-row")
def policy_auth_call_per_row(ctx: FileContext) -> Iterator[Hit]:
    for line, name, node in _policies(ctx):
        calls = sorted(set(per_row_calls(node.qual)) | set(per_row_calls(node.with_check)))
        if calls:
            message = f"policy {name} calls {', '.join(calls)} for every row; wrap it as (select ...)"
            yield Hit("policy-auth-call-per-row", line, message)


@check("policy-user-metadata")
def policy_user_metadata(ctx: FileContext) -> Iterator[Hit]:
    for line, name, node in _policies(ctx):
        if reads_user_metadata(node.qual) or reads_user_metadata(node.with_check):
            yield Hit("policy-user-metadata", line, f"policy {name} trusts user_metadata, which users edit themselves")


def _pins_search_path(options: tuple[ast.DefElem, ...]) -> bool:
    for option in options:
        arg = option.arg
        if option.defname == "set" and isinstance(arg, ast.VariableSetStmt) and arg.name == "search_path":
            return arg.kind == VariableSetKind.VAR_SET_VALUE
    return False


def _definer(options: tuple[ast.DefElem, ...]) -> bool:
    return any(o.defname == "security" and truthy(def_value(o)) for o in options)


@check("security-definer-without-search-path")
def definer_without_search_path(ctx: FileContext) -> Iterator[Hit]:
    for s in ctx.file.statements:
        node = s.node
        if isinstance(node, ast.CreateFunctionStmt):
            options = tuple(node.options or ())
            name = ".".join(strings(node.funcname))
        elif isinstance(node, ast.AlterFunctionStmt):
            options = tuple(node.actions or ())
            name = ".".join(strings(node.func.objname))
        else:
            continue
        if _definer(options) and not _pins_search_path(options):
            yield Hit("security-definer-without-search-path", s.line, f"security definer function {name} does not pin its search_path")


def _security_invoker(options: tuple[ast.DefElem, ...] | None) -> bool | None:
    for option in options or ():
        if isinstance(option, ast.DefElem) and option.defname == "security_invoker":
            return option.arg is None or truthy(def_value(option))
    return None


@check("view-without-security-invoker")
def view_without_security_invoker(ctx: FileContext) -> Iterator[Hit]:
    # `alter view ... set (security_invoker = ...)` later in the file decides too.
    later: dict[str, list[tuple[int, bool]]] = {}
    for s in ctx.file.statements:
        node = s.node
        if isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_VIEW:
            for cmd in node.cmds or ():
                if cmd.subtype == AlterTableType.AT_SetRelOptions:
                    value = _security_invoker(cmd.def_)
                    if value is not None:
                        later.setdefault(relation(node.relation), []).append((s.index, value))
                elif cmd.subtype == AlterTableType.AT_ResetRelOptions and any(
                    d.defname == "security_invoker" for d in cmd.def_ or ()
                ):
                    later.setdefault(relation(node.relation), []).append((s.index, False))
    for s in ctx.file.statements:
        node = s.node
        if isinstance(node, ast.ViewStmt) and node.view.relpersistence != "t" and ctx.exposed(schema_of(node.view)):
            name = relation(node.view)
            invoker = bool(_security_invoker(node.options))
            for index, value in later.get(name, []):
                if index > s.index:
                    invoker = value
            if not invoker:
                yield Hit("view-without-security-invoker", s.line, f"view {name} runs with its owner's rights, bypassing RLS")
        elif (
            isinstance(node, ast.CreateTableAsStmt)
            and node.objtype == ObjectType.OBJECT_MATVIEW
            and ctx.exposed(schema_of(node.into.rel))
        ):
            message = f"materialized view {relation(node.into.rel)} has neither security_invoker nor RLS: keep it out of exposed schemas"
            yield Hit("view-without-security-invoker", s.line, message)
        elif isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_VIEW:
            name = relation(node.relation)
            if ctx.exposed(schema_of(node.relation)) and any(i == s.index and not v for i, v in later.get(name, [])):
                yield Hit("view-without-security-invoker", s.line, f"turns security_invoker off on view {name}")


UNTRUSTED_LANGUAGES = frozenset({"c", "internal", "plpythonu", "plpython3u", "plperlu", "pltclu"})
SUPERUSER_ROLE_OPTIONS = frozenset({"superuser", "isreplication", "bypassrls"})


@check("needs-superuser")
def needs_superuser(ctx: FileContext) -> Iterator[Hit]:
    for s in ctx.file.statements:
        reason = _superuser_only(s.node)
        if reason:
            yield Hit("needs-superuser", s.line, f"{reason}: only a superuser may, and `postgres` is none on Supabase")


def _superuser_only(node: ast.Node) -> str | None:
    if isinstance(node, ast.AlterSystemStmt):
        return "alter system"
    if isinstance(node, ast.CreateEventTrigStmt):
        return f"creates event trigger {node.trigname}"
    if isinstance(node, ast.CreatePLangStmt):
        return f"creates language {node.plname}"
    if isinstance(node, ast.LoadStmt):
        return f"loads library {node.filename}"
    if isinstance(node, ast.CopyStmt) and (node.filename or node.is_program):
        return "copy with a server-side " + ("program" if node.is_program else "file")
    if isinstance(node, ast.CreateFunctionStmt):
        for option in node.options or ():
            if option.defname == "language" and str(def_value(option)).lower() in UNTRUSTED_LANGUAGES:
                return f"a function in untrusted language {def_value(option)}"
    if isinstance(node, (ast.CreateRoleStmt, ast.AlterRoleStmt)):
        for option in node.options or ():
            if option.defname in SUPERUSER_ROLE_OPTIONS and (option.arg is None or truthy(def_value(option))):
                return f"a role with {option.defname.removeprefix('is')}"
    return None
