"""Privileges on every function in public, by construction."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from helpers import one
from helpers.rpcs import message, public_functions


# --- privileges on every function in public, by construction ----------------------------------


def test_no_public_function_is_executable_by_anon_or_public(db):
    for fn in public_functions(db):
        for grantee in ("anon", "public"):
            assert not one(db, "select has_function_privilege(%s, %s, 'execute')", (grantee, fn["oid"])), (
                f"{grantee} may execute {fn['signature']}: revoke execute ... from public, anon")


TENANCY_RPCS = (
    "create_organization(text,text)", "my_organizations()", "has_org_access(uuid)",
    "has_org_role(uuid,user_role[])", "add_member(uuid,uuid,text,user_role)",
    "change_member_role(uuid,uuid,user_role)", "remove_member(uuid,uuid)", "leave_organization(uuid)",
    "invite_member(uuid,text,user_role,interval)", "list_invitations(uuid)", "revoke_invitation(uuid)",
    "accept_invitation(text)",
)


@pytest.mark.parametrize("signature", TENANCY_RPCS)
def test_tenancy_rpcs_are_executable_by_authenticated(db, signature):
    assert one(db, "select has_function_privilege('authenticated', %s::regprocedure, 'execute')",
               (f"public.{signature}",))


def test_security_definer_functions_pin_an_empty_search_path(db):
    rows = db.execute(
        "select p.oid::regprocedure::text, p.proconfig from pg_proc p "
        "where p.prosecdef and p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)").fetchall()
    assert rows
    for signature, config in rows:
        assert 'search_path=""' in (config or []), f"{signature} is security definer without search_path = ''"


def test_anon_calling_any_public_function_in_sql_is_refused(db, anon):
    for fn in public_functions(db):
        nulls = sql.SQL(", ").join(sql.SQL("null::{}").format(sql.SQL(t)) for t in fn["arg_types"])
        query = sql.SQL("select public.{}({})").format(sql.Identifier(fn["proname"]), nulls)
        with pytest.raises(psycopg.Error) as info:
            anon.sql.execute(query)
        assert info.value.sqlstate == "42501", f"{fn['signature']}: {info.value}"
        assert "permission denied for function" in message(info.value)
