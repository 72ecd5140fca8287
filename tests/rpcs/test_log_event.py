"""App events cannot forge the database's entries (hole 3): log_event."""

from __future__ import annotations

import psycopg
import psycopg.types.json
import pytest

from helpers import one
from helpers.rpcs import rpc_one, refused, message


# --- app events cannot forge the database's entries (hole 3) ---------------------------------


@pytest.mark.parametrize("action", ["invite", "remove", "create", "update", "delete", "purge", "restore", "soft_delete"])
def test_log_event_refuses_the_databases_own_actions(db, team, action):
    before = one(db, "select count(*) from public.audit_logs")
    for who in ("admin", "member", "viewer"):
        err = refused(getattr(team, who), "log_event", "22023", action=action, organization_id=team.org,
                      entity_type="invitations", details=psycopg.types.json.Jsonb({"email": "victim@example.test"}))
        assert message(err) == f"action must be login or logout, got {action}"
    assert one(db, "select count(*) from public.audit_logs") == before


@pytest.mark.parametrize("entity_type", ["invitations", "organization_members", "projects", "profiles", "App.x",
                                         "app.", "app.x y", "app." + "x" * 61])
def test_log_event_cannot_impersonate_a_tables_entity_type(db, team, entity_type):
    err = refused(team.member, "log_event", "22023", action="login", organization_id=team.org, entity_type=entity_type)
    assert message(err).startswith("entity_type must be session or app.<name>")
    assert one(db, "select count(*) from public.audit_logs where user_id = %s and action = 'login'", (team.member.id,)) == 0


@pytest.mark.parametrize("entity_type", ["session", "app.checkout", "app.billing.portal-v2", "app." + "x" * 60])
def test_log_event_accepts_app_entity_types(team, entity_type):
    logged = rpc_one(team.member, "log_event", action="login", organization_id=team.org, entity_type=entity_type,
                     details=psycopg.types.json.Jsonb({"ok": True}))
    assert (logged["entity_type"], logged["new_values"]) == (entity_type, {"ok": True})


def test_log_event_bounds_details_and_entity_id(db, team):
    big = psycopg.types.json.Jsonb({"blob": "x" * 5_000_000})
    err = refused(team.member, "log_event", "22023", action="login", details=big)
    assert message(err).startswith("details are ") and message(err).endswith("bytes: at most 4096")
    refused(team.member, "log_event", "22023", action="login", details=psycopg.types.json.Jsonb([1, 2]))
    refused(team.member, "log_event", "22023", action="login", entity_id="x" * 201)
    err = refused(team.member, "log_event", "22023", action="x" * 1_000_000)
    assert len(message(err)) < 150
    assert one(db, "select count(*) from public.audit_logs where user_id = %s", (team.member.id,)) == 0
    rpc_one(team.member, "log_event", action="logout", details=psycopg.types.json.Jsonb({"blob": "x" * 4000}),
            entity_id="x" * 200)
