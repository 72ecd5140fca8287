"""Retention: purge_audit_logs."""

from __future__ import annotations

from helpers.audit import refused, log


# --- retention: purge_audit_logs ------------------------------------------------------


def test_purge_audit_logs_is_for_the_service_role_and_removes_only_old_entries(via, team):
    su = via.su
    old = [e["id"] for e in log(su, organization_id=team.org)[:2]]
    su.execute("update public.audit_logs set created_at = now() - interval '400 days' where id = any(%s::uuid[])", (old,))
    su.execute("update public.audit_logs set created_at = now() - interval '300 days' "
               "where organization_id = %s and id <> all(%s::uuid[])", (team.org, old))
    kept = len(log(su, organization_id=team.org)) - 2
    for who in (team.admin, team.member):
        err = refused("42501", via.rpc, who, "purge_audit_logs", older_than="1 day")
        assert err.status in (None, 403)
    refused("42501", via.rpc, team.anon, "purge_audit_logs", older_than="1 day")
    for too_short in ("23 hours", "0 days", "-5 days", None):
        err = refused("22023", via.rpc, team.service, "purge_audit_logs", older_than=too_short)
        assert err.status in (None, 400)
    assert len(log(su, organization_id=team.org)) == kept + 2

    removed = via.rpc(team.service, "purge_audit_logs", older_than="365 days")
    assert removed >= 2 if via.name == "rest" else removed == 2
    left = {e["id"] for e in log(su, organization_id=team.org)}
    assert len(left) == kept and not left & set(old)
