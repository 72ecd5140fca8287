"""Bounds on every input, one trial at a time (hole 5)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from helpers import one
from helpers.rpcs import refused, message, new_org


# --- bounds on every input, one trial at a time (hole 5) --------------------------------------


MEGABYTE = "x" * 1_000_000


def test_a_megabyte_slug_is_not_echoed_back(db, make_user):
    alice = make_user()
    err = refused(alice, "create_organization", "23514", name="Acme", slug=MEGABYTE)
    assert len(str(err)) < 400 and "(1000000 characters)" in message(err)
    err = refused(alice, "invite_member", "PT404", organization_id=str(uuid.uuid4()), email=MEGABYTE)
    taken = new_org(alice)
    err = refused(alice, "invite_member", "22023", organization_id=taken, email=MEGABYTE + "@example.test")
    assert len(str(err)) < 400


@pytest.mark.parametrize("table, column, value, constraint", [
    ("profiles", "name", MEGABYTE, "profiles_name_length"),
    ("profiles", "avatar_url", MEGABYTE, "profiles_avatar_url_length"),
    ("organizations", "logo_url", MEGABYTE, "organizations_logo_url_length"),
    ("organizations", "settings", '{"k": "' + MEGABYTE + '"}', "organizations_settings_size"),
    ("organizations", "name", MEGABYTE, "organizations_name_length"),
    ("projects", "name", MEGABYTE, "projects_name_length"),
])
def test_a_megabyte_in_any_column_is_refused_naming_the_bound(db, team, table, column, value, constraint):
    target = {"profiles": team.member.id, "organizations": team.org}.get(table)
    if table == "projects":
        target = one(db, "insert into public.projects (organization_id, name) values (%s, 'P') returning id::text", (team.org,))
    actor = team.member if table == "profiles" else team.admin
    with pytest.raises(psycopg.errors.CheckViolation) as info:
        actor.sql.execute(f"update public.{table} set {column} = %s where id = %s", (value, target))
    assert info.value.diag.constraint_name == constraint
    assert len(str(info.value)) + len(info.value.diag.message_detail or "") < 2000


def test_one_trial_per_user_at_a_time(db, make_user):
    alice = make_user()
    orgs = [new_org(alice) for _ in range(5)]
    trials = one(db, "select count(*) from public.subscriptions where organization_id = any(%s::uuid[]) "
                     "and status = 'trialing'", (orgs,))
    assert trials == 1
    assert one(db, "select status::text from public.subscriptions where organization_id = %s", (orgs[0],)) == "trialing"
    # Once the trial converts, the next organization may trial.
    db.execute("update public.subscriptions set status = 'active' where organization_id = %s", (orgs[0],))
    assert one(db, "select status::text from public.subscriptions where organization_id = %s",
               (new_org(alice),)) == "trialing"


def test_api_roles_have_supabases_timeouts(db):
    settings = dict(db.execute(
        "select r.rolname, s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
        "where r.rolname in ('anon', 'authenticated', 'authenticator') and s.setdatabase = 0").fetchall())
    assert "statement_timeout=3s" in settings["anon"]
    assert "statement_timeout=8s" in settings["authenticated"]
    assert {"statement_timeout=8s", "lock_timeout=8s"} <= set(settings["authenticator"])
