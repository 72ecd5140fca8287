"""RLS closed by default: enabled on every table, nothing visible or writable without policies."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from helpers import one
from helpers.schema import count, new_org, add_member, new_subscription, new_project, new_audit, drop_all_policies, TABLES


# --- RLS -----------------------------------------------------------------------------------


def test_rls_is_enabled_on_every_table_in_public(db):
    rows = db.execute(
        "select relname, relrowsecurity from pg_class "
        "where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')"
    ).fetchall()
    assert set(TABLES) <= {name for name, _ in rows}
    assert [name for name, enabled in rows if not enabled] == []


def test_without_policies_api_callers_see_no_rows_despite_their_grants(db, make_user, anon, service_role):
    drop_all_policies(db)
    alice = make_user(name="Alice")
    org = new_org(db)
    add_member(db, org, alice.id, "admin")
    new_subscription(db, org)
    new_project(db, org)
    new_audit(db, org, alice.id)

    for table in TABLES:
        rows = count(db, table)
        assert rows >= 1, table
        for actor in (alice, anon):
            # Supabase's default privileges granted the table: RLS is what hides the rows.
            assert one(db, "select has_table_privilege(%s, %s, 'select')", (actor.role, f"public.{table}")), table
            assert one(actor.sql, sql.SQL("select count(*) from public.{}").format(sql.Identifier(table))) == 0, (
                table, actor.role,
            )
        assert one(service_role.sql, sql.SQL("select count(*) from public.{}").format(sql.Identifier(table))) == rows


@pytest.mark.parametrize("who", ["user", "anon"])
def test_without_policies_api_callers_cannot_write(db, make_user, anon, who):
    drop_all_policies(db)
    alice = make_user()
    org = new_org(db, "closed")
    actor = alice if who == "user" else anon
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        actor.sql.execute("insert into public.organizations (name, slug) values ('Mine', 'mine')")

    def changes_nothing(statement: str, params: tuple) -> bool:
        """Refused outright (no grant: anon's writes, a user's delete) or filtered to no row (RLS)."""
        try:
            return actor.sql.execute(statement, params).rowcount == 0
        except psycopg.errors.InsufficientPrivilege:
            return True

    assert changes_nothing("update public.organizations set name = 'Hacked' where id = %s", (org,))
    assert changes_nothing("delete from public.organizations where id = %s", (org,))
    if who == "user":  # the one profile column a user may write, still refused with no policy
        assert actor.sql.execute("update public.profiles set name = 'Hacked' where id = %s", (alice.id,)).rowcount == 0
    assert one(db, "select name from public.organizations where id = %s", (org,)) == "Acme"
    assert one(db, "select name from public.profiles where id = %s", (alice.id,)) is None
