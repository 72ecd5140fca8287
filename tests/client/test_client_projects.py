"""The client's projects service, over every transport (tests/client/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supakit.client import NotFound, PermissionDenied, ValidationError
from supakit.client.models import Project


# --- projects ------------------------------------------------------------------------------


def test_projects_create_get_and_list(team):
    created = team.member.projects.create(team.org.id, "Launch")
    assert isinstance(created, Project) and created.deleted_at is None and created.organization_id == team.org.id
    assert team.viewer.projects.get(created.id) == created
    assert [p.id for p in team.viewer.projects.list(team.org.id)] == [created.id]
    assert team.outsider.projects.list(team.org.id) == []
    with pytest.raises(NotFound):
        team.outsider.projects.get(created.id)


def test_projects_create_refusals(team):
    with pytest.raises(PermissionDenied):
        team.viewer.projects.create(team.org.id, "Nope")
    with pytest.raises(PermissionDenied):
        team.outsider.projects.create(team.org.id, "Nope")
    with pytest.raises(ValidationError) as info:
        team.member.projects.create(team.org.id, None)
    assert info.value.code == "23502"
    with pytest.raises(ValidationError):
        team.member.projects.create("not-a-uuid", "Nope")


def test_projects_list_pages_and_include_deleted(team):
    names = [team.member.projects.create(team.org.id, f"P{i}").name for i in range(4)]
    trashed = team.member.projects.list(team.org.id)[0]
    team.member.projects.delete(trashed.id)
    assert [p.name for p in team.member.projects.list(team.org.id)] == names[1:]
    assert [p.name for p in team.member.projects.list(team.org.id, include_deleted=True)] == names
    assert [p.name for p in team.member.projects.list(team.org.id, limit=2, offset=1)] == names[2:4]
    with pytest.raises(NotFound):
        team.member.projects.get(trashed.id)
    assert team.member.projects.get(trashed.id, include_deleted=True).deleted_at is not None


def test_projects_update(team):
    project = team.member.projects.create(team.org.id, "Draft")
    renamed = team.admin.projects.update(project.id, name="Final")
    assert renamed.name == "Final" and renamed.updated_at >= project.updated_at
    with pytest.raises(PermissionDenied):
        team.viewer.projects.update(project.id, name="Viewer was here")
    with pytest.raises(NotFound):
        team.outsider.projects.update(project.id, name="Outsider was here")
    assert team.viewer.projects.get(project.id).name == "Final"


def test_projects_soft_delete_trash_and_restore(team):
    project = team.member.projects.create(team.org.id, "Temp")
    trashed = team.member.projects.delete(project.id)
    assert trashed.id == project.id and trashed.deleted_at is not None
    assert str(trashed.deleted_by) == team.member_user.id
    assert [p.id for p in team.viewer.projects.trash(team.org.id)] == [project.id]
    with pytest.raises(NotFound):  # already in the trash
        team.member.projects.delete(project.id)
    restored = team.admin.projects.restore(project.id)
    assert restored.deleted_at is None and restored.deleted_by is None
    assert team.member.projects.trash(team.org.id) == []
    with pytest.raises(ValidationError) as info:  # not in the trash
        team.admin.projects.restore(project.id)
    assert info.value.code == "P0001"


def test_projects_delete_refusals(team):
    project = team.member.projects.create(team.org.id, "Keep")
    with pytest.raises(PermissionDenied):
        team.viewer.projects.delete(project.id)
    with pytest.raises(NotFound):
        team.outsider.projects.delete(project.id)
    with pytest.raises(PermissionDenied):
        team.viewer.projects.restore(project.id)
    assert team.admin.projects.get(project.id).deleted_at is None


def test_projects_purge(team):
    project = team.member.projects.create(team.org.id, "Gone")
    with pytest.raises(ValidationError):  # only from the trash
        team.admin.projects.purge(project.id)
    team.member.projects.delete(project.id)
    with pytest.raises(PermissionDenied):
        team.member.projects.purge(project.id)
    with pytest.raises(NotFound):
        team.outsider.projects.purge(project.id)
    assert team.admin.projects.purge(project.id).id == project.id
    assert team.admin.projects.list(team.org.id, include_deleted=True) == []


def test_projects_empty_trash(team):
    kept = team.member.projects.create(team.org.id, "Live")
    for name in ("Old 1", "Old 2"):
        team.member.projects.delete(team.member.projects.create(team.org.id, name).id)
    assert team.admin.projects.empty_trash(team.org.id) == 0  # nothing older than 30 days
    with pytest.raises(PermissionDenied):
        team.member.projects.empty_trash(team.org.id, older_than=timedelta(0))
    with pytest.raises(ValidationError):
        team.admin.projects.empty_trash(team.org.id, older_than=timedelta(days=-1))
    with pytest.raises(ValidationError):  # users name the organization
        team.admin.projects.empty_trash(older_than=timedelta(0))
    assert team.admin.projects.empty_trash(team.org.id, older_than=timedelta(0)) == 2
    assert [p.id for p in team.admin.projects.list(team.org.id, include_deleted=True)] == [kept.id]


def test_projects_empty_trash_as_the_service_role(team):
    team.member.projects.delete(team.member.projects.create(team.org.id, "Old").id)
    assert team.service.projects.empty_trash(team.org.id, older_than="0 seconds") == 1
