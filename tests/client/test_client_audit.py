"""The client's audit service, over every transport (tests/client/conftest.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from supakit.client import NotFound, PermissionDenied, ValidationError
from supakit.client.models import AuditLog


# --- audit ---------------------------------------------------------------------------------


def test_audit_list_filters_and_pages(team):
    for i in range(3):
        team.member.projects.create(team.org.id, f"Audited {i}")
    everything = team.admin.audit.list(team.org.id, limit=100)
    assert all(isinstance(entry, AuditLog) for entry in everything)
    assert [(e.created_at, e.id) for e in everything] == sorted(((e.created_at, e.id) for e in everything), reverse=True)
    projects = team.admin.audit.list(team.org.id, entity_type="projects")
    assert [e.new_values["name"] for e in projects] == ["Audited 2", "Audited 1", "Audited 0"]
    assert {str(e.user_id) for e in projects} == {team.member_user.id}
    by_admin = team.admin.audit.list(team.org.id, user_id=team.admin_user.id)
    assert by_admin and {str(e.user_id) for e in by_admin} == {team.admin_user.id}

    first = team.admin.audit.list(team.org.id, limit=2)
    after_row = team.admin.audit.list(team.org.id, limit=2, before=first[-1])
    after_keys = team.admin.audit.list(team.org.id, limit=2, before=first[-1].created_at, before_id=first[-1].id)
    by_offset = team.admin.audit.list(team.org.id, limit=2, offset=2)
    assert [e.id for e in first + after_row] == [e.id for e in everything[:4]]
    assert after_row == after_keys == by_offset


def test_audit_list_refusals(team):
    with pytest.raises(PermissionDenied):
        team.member.audit.list(team.org.id)
    with pytest.raises(NotFound):
        team.outsider.audit.list(team.org.id)
    with pytest.raises(ValidationError):
        team.admin.audit.list(team.org.id, limit=0)
    with pytest.raises(ValidationError):
        team.admin.audit.list(team.org.id, before=datetime.now(timezone.utc))  # before without before_id


def test_audit_log_an_event(team):
    entry = team.viewer.audit.log("login", organization_id=team.org.id, details={"method": "password"})
    assert (entry.action, entry.entity_type, str(entry.user_id)) == ("login", "session", team.viewer_user.id)
    assert entry.new_values == {"method": "password"}
    assert team.admin.audit.list(team.org.id, limit=1)[0].id == entry.id
    assert team.outsider.audit.log("logout").organization_id is None


def test_audit_log_refusals(team):
    with pytest.raises(ValidationError) as info:
        team.viewer.audit.log("update", organization_id=team.org.id)
    assert info.value.code == "22023" and info.value.hint
    with pytest.raises(NotFound):
        team.outsider.audit.log("login", organization_id=team.org.id)
    with pytest.raises(PermissionDenied):
        team.service.audit.log("login")
