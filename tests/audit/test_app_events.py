"""App events: log_event."""

from __future__ import annotations

import uuid

import pytest

from helpers.audit import CLIENT_IP, CLIENT_AGENT, refused, log, only, by, count


# --- app events: log_event ------------------------------------------------------------


def test_log_event_stamps_the_caller(via, team):
    su, viewer = via.su, team.viewer
    login = via.rpc(viewer, "log_event", action="login", organization_id=team.org, details={"method": "password"})
    stored = only(log(su, id=login["id"]))
    assert stored == login
    assert by(stored) == (viewer.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert (stored["entity_type"], stored["entity_id"], stored["new_values"]) == ("session", None, {"method": "password"})

    logout = via.rpc(viewer, "log_event", action="logout")
    assert by(only(log(su, id=logout["id"]))) == (viewer.id, None, CLIENT_IP, CLIENT_AGENT)

    # The database's own actions and entity types are not the app's to write.
    refused("22023", via.rpc, team.admin, "log_event", action="remove", organization_id=team.org,
            entity_type="organization_members", entity_id=team.viewer.id)
    app = via.rpc(team.admin, "log_event", action="login", organization_id=team.org, entity_type="app.sso")
    assert (app["user_id"], app["entity_type"]) == (team.admin.id, "app.sso")


def test_log_event_has_no_actor_parameter(via, team):
    su = via.su
    args = [r[0] for r in su.execute(
        "select unnest(proargnames) from pg_proc where proname = 'log_event' and pronamespace = 'public'::regnamespace")]
    assert "user_id" not in args and not any("actor" in a or "user" in a for a in args)
    before = count(su, "select count(*) from public.audit_logs where user_id = %s", (team.admin.id,))
    err = refused("PGRST202" if via.name == "rest" else "42883",
                  via.rpc, team.member, "log_event", action="login", user_id=team.admin.id)
    if via.name == "rest":
        assert err.status == 404
    assert count(su, "select count(*) from public.audit_logs where user_id = %s", (team.admin.id,)) == before


@pytest.mark.parametrize("action", ["create", "update", "delete", "purge", "hack", "LOGIN", None])
def test_log_event_refuses_other_actions(via, team, action):
    err = refused("22023", via.rpc, team.member, "log_event", action=action, organization_id=team.org)
    assert err.hint == "changes to data are logged by the database itself"
    if via.name == "rest":
        assert err.status == 400


def test_log_event_refuses_an_organization_of_others_and_anon(via, team):
    su = via.su
    before = count(su, "select count(*) from public.audit_logs where organization_id = %s", (team.other_org,))
    err = refused("PT404", via.rpc, team.member, "log_event", action="login", organization_id=team.other_org)
    assert err.status in (None, 404)
    refused("PT404", via.rpc, team.member, "log_event", action="login", organization_id=str(uuid.uuid4()))
    err = refused("42501", via.rpc, team.anon, "log_event", action="login")
    if via.name == "rest":
        assert err.status == 401
    else:
        assert "permission denied for function log_event" in err.message
    assert count(su, "select count(*) from public.audit_logs where organization_id = %s", (team.other_org,)) == before
