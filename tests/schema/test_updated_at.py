"""updated_at, set by the database."""

from __future__ import annotations

import pytest
from psycopg import sql

from helpers.schema import new_auth_user, new_org, new_subscription, new_project, drop_all_policies, TOUCHED_TABLES, LONG_AGO


# --- updated_at ----------------------------------------------------------------------------


def seed_row(db, table: str) -> tuple[str, str]:
    """A row of `table` and the column an update changes."""
    if table == "profiles":
        return new_auth_user(db, "touch@example.test"), "name"
    org = new_org(db)
    if table == "organizations":
        return org, "name"
    if table == "subscriptions":
        return new_subscription(db, org), "stripe_price_id"
    return new_project(db, org), "name"


@pytest.mark.parametrize("table", TOUCHED_TABLES)
def test_updated_at_is_set_by_the_database(db, table):
    row_id, column = seed_row(db, table)
    ident = sql.Identifier(table)
    db.execute(
        sql.SQL("update public.{} set created_at = %s where id = %s").format(ident), (LONG_AGO, row_id)
    )
    created_at, updated_at, now = db.execute(
        sql.SQL("update public.{} set {} = 'changed', updated_at = %s where id = %s "
                "returning created_at, updated_at, now()").format(ident, sql.Identifier(column)),
        (LONG_AGO, row_id),
    ).fetchone()
    assert updated_at == now  # the caller's old value was overridden
    assert created_at == LONG_AGO  # untouched


@pytest.mark.parametrize("table", TOUCHED_TABLES)
def test_insert_defaults_both_timestamps(db, table):
    row_id, _ = seed_row(db, table)
    created_at, updated_at, age = db.execute(
        sql.SQL("select created_at, updated_at, now() - created_at from public.{} where id = %s").format(
            sql.Identifier(table)
        ),
        (row_id,),
    ).fetchone()
    assert created_at == updated_at
    assert age.total_seconds() < 60


def test_updated_at_trigger_fires_for_api_callers(db, make_user):
    """The trigger function lives in `private` and API roles may not execute it: it still fires."""
    drop_all_policies(db)
    alice = make_user()
    db.execute("create policy test_own on public.profiles for all to authenticated "
               "using (id = (select auth.uid())) with check (id = (select auth.uid()))")
    db.execute("update public.profiles set updated_at = %s where id = %s", (LONG_AGO, alice.id))
    updated_at, now = alice.sql.execute(
        "update public.profiles set name = 'Alice' where id = %s returning updated_at, now()", (alice.id,)
    ).fetchone()
    assert updated_at == now
