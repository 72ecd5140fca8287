"""The last-admin guard (sql/functions/040), whatever the path: RPCs, SQL through RLS,
the superuser, deferred and concurrent changes.
"""

from __future__ import annotations

import threading

import psycopg
import pytest

from helpers import one
from helpers.rpcs import KEEP_ADMIN_HINT, rpc, rpc_one, refused, message, new_org, add, role_of, admin_count, invite, slug_of


# --- the last-admin guard, whatever the path ----------------------------------------------


def assert_keeps_admin(err: psycopg.Error, org: str) -> None:
    assert err.sqlstate == "23514", err
    assert message(err) == f"organization {org} must keep at least one admin"
    assert err.diag.message_hint == KEEP_ADMIN_HINT


@pytest.mark.parametrize("statement", [
    "update public.organization_members set role = 'member' where organization_id = %(org)s",
    "update public.organization_members set role = 'viewer' where user_id = %(admin)s",
    "delete from public.organization_members where organization_id = %(org)s and user_id = %(admin)s",
    "delete from public.organization_members where organization_id = %(org)s",
])
def test_guard_as_the_admin_in_sql_through_rls(db, team, statement):
    with pytest.raises(psycopg.Error) as info:
        team.admin.sql.execute(statement, {"org": team.org, "admin": team.admin.id})
    assert_keeps_admin(info.value, team.org)
    assert admin_count(db, team.org) == 1
    assert one(db, "select count(*) from public.organization_members where organization_id = %s", (team.org,)) == 3


@pytest.mark.parametrize("statement", [
    "update public.organization_members set role = 'member' where user_id = %(admin)s",
    "delete from public.organization_members where user_id = %(admin)s",
    "delete from public.organization_members where organization_id = %(org)s",
    "update public.organization_members set organization_id = %(other)s where user_id = %(admin)s "
    "and organization_id = %(org)s",
    "delete from public.profiles where id = %(admin)s",
    "delete from auth.users where id = %(admin)s",
])
def test_guard_as_superuser(db, team, make_user, statement):
    other = new_org(make_user())
    with pytest.raises(psycopg.Error) as info:
        db.execute(statement, {"org": team.org, "admin": team.admin.id, "other": other})
    assert_keeps_admin(info.value, team.org)
    assert role_of(db, team.org, team.admin) == "admin"
    assert one(db, "select count(*) from auth.users where id = %s", (team.admin.id,)) == 1


def test_guard_allows_deleting_a_user_once_another_admin_exists(db, team):
    add(team.service, team.org, team.outsider, "admin")
    db.execute("delete from auth.users where id = %s", (team.admin.id,))
    assert role_of(db, team.org, team.admin) is None
    assert admin_count(db, team.org) == 1


def test_guard_allows_deleting_a_non_admin_user(db, team):
    db.execute("delete from auth.users where id = %s", (team.member.id,))
    assert role_of(db, team.org, team.member) is None


def test_guard_allows_the_admin_to_delete_the_organization(db, team):
    invite(team.admin, team.org, "someone@example.test")
    deleted = rpc_one(team.admin, "delete_organization", organization_id=team.org, confirm_slug=slug_of(db, team.org))
    assert str(deleted["id"]) == team.org
    for table in ("organization_members", "subscriptions"):
        assert one(db, f"select count(*) from public.{table} where organization_id = %s", (team.org,)) == 0
    assert one(db, "select count(*) from private.invitations where organization_id = %s", (team.org,)) == 0


def test_guard_allows_superuser_to_delete_the_organization(db, team):
    db.execute("delete from public.organizations where id = %s", (team.org,))
    assert one(db, "select count(*) from public.organization_members where organization_id = %s", (team.org,)) == 0


def test_guard_non_admin_cannot_delete_the_organization(db, team):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        team.member.sql.execute("delete from public.organizations where id = %s", (team.org,))
    refused(team.member, "delete_organization", "42501", organization_id=team.org, confirm_slug=slug_of(db, team.org))
    assert one(db, "select count(*) from public.organizations where id = %s", (team.org,)) == 1


@pytest.mark.parametrize("constraints", ["all", "organization_members_keep_an_admin",
                                         "public.organization_members_keep_an_admin"])
def test_guard_deferred_swap_demoting_first(db, team, constraints):
    """Deferred, the check waits for the commit: a swap may demote the old admin first."""
    with db.transaction():
        db.execute(f"set constraints {constraints} deferred")
        db.execute("update public.organization_members set role = 'viewer' where user_id = %s", (team.admin.id,))
        db.execute("update public.organization_members set role = 'admin' where user_id = %s", (team.member.id,))
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("viewer", "admin")


def test_guard_immediate_refuses_demoting_first(db, team):
    with pytest.raises(psycopg.Error) as info:
        with db.transaction():
            db.execute("update public.organization_members set role = 'viewer' where user_id = %s", (team.admin.id,))
            db.execute("update public.organization_members set role = 'admin' where user_id = %s", (team.member.id,))
    assert_keeps_admin(info.value, team.org)
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("admin", "member")


def test_guard_swap_in_one_statement_needs_no_deferral(db, team):
    team.admin.sql.execute(
        "update public.organization_members "
        "set role = case when role = 'admin' then 'member' else 'admin' end::public.user_role "
        "where organization_id = %s and user_id in (%s, %s)", (team.org, team.admin.id, team.member.id))
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("member", "admin")


def test_guard_user_hands_over_in_one_deferred_transaction(db, team):
    """A caller must promote before demoting (once demoted they may change nothing), deferred or not."""
    with team.admin.sql.transaction() as conn:
        conn.execute("set constraints all deferred")
        conn.execute("select public.change_member_role(%s, %s, 'admin')", (team.org, team.member.id))
        conn.execute("select public.change_member_role(%s, %s, 'viewer')", (team.org, team.admin.id))
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("viewer", "admin")


def test_guard_deferred_still_checks_at_commit(db, team):
    with pytest.raises(psycopg.Error) as info:
        with team.admin.sql.transaction() as conn:
            conn.execute("set constraints all deferred")
            conn.execute("select public.change_member_role(%s, %s, 'viewer')", (team.org, team.admin.id))
            conn.execute("select public.leave_organization(%s)", (team.org,))
    assert_keeps_admin(info.value, team.org)
    assert role_of(db, team.org, team.admin) == "admin"


def test_guard_holds_against_two_admins_demoting_each_other_concurrently(db, team):
    add(team.service, team.org, team.outsider, "admin")
    first, second = team.admin, team.outsider
    outcome: dict[str, BaseException | None] = {}

    def demote_first_as_second():
        try:
            rpc(second, "change_member_role", organization_id=team.org, user_id=first.id, role="member")
            outcome["second"] = None
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["second"] = exc

    with first.sql.transaction() as conn:
        conn.execute("select public.change_member_role(%s, %s, 'member')", (team.org, second.id))
        worker = threading.Thread(target=demote_first_as_second)
        worker.start()
        worker.join(timeout=1.0)  # without a lock it finishes here; with one it waits for our commit
    worker.join(timeout=10.0)
    assert not worker.is_alive()

    assert admin_count(db, team.org) >= 1
    assert isinstance(outcome["second"], psycopg.Error) and outcome["second"].sqlstate == "23514"
