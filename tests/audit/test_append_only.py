"""Nobody edits the log."""

from __future__ import annotations

from helpers.audit import refused, log, only, entry


# --- nobody edits the log --------------------------------------------------------------


def test_nobody_tampers_with_the_log(via, team):
    su = via.su
    target = entry(su, "create", "organizations", team.org)
    org_entries = log(su, organization_id=team.org)
    forged = {"organization_id": team.org, "user_id": team.admin.id, "action": "login", "entity_type": "session",
              "entity_id": "forged"}
    for who in (team.anon, team.member, team.admin, team.service):
        name = getattr(who, "email", who.role)
        for attempt in (
            lambda: via.update(who, "audit_logs", {"id": target["id"]}, {"action": "logout", "user_id": None}),
            lambda: via.update(who, "audit_logs", {"organization_id": team.org}, {"ip_address": "0.0.0.0"}),
            lambda: via.delete(who, "audit_logs", {"id": target["id"]}),
            lambda: via.delete(who, "audit_logs", {"organization_id": team.org}),
        ):
            err = refused("42501", attempt)
            assert err.status in (None, 401 if who is team.anon else 403), name
        if who is not team.service:  # the service role (a trusted backend) may append entries
            refused("42501", via.insert, who, "audit_logs", forged)
        if via.name == "sql":
            err = refused("42501", via.sql, who, "truncate public.audit_logs")
            assert "permission denied" in err.message
    assert only(log(su, id=target["id"])) == target
    assert log(su, organization_id=team.org) == org_entries
    assert log(su, entity_id="forged") == []
