"""The client's profiles service, over every transport (tests/client/conftest.py)."""

from __future__ import annotations

import uuid

import pytest

from supakit.client import AuthError, NotFound, PermissionDenied, ValidationError
from supakit.client.models import Profile, UserRole


# --- profiles ------------------------------------------------------------------------------


def test_profiles_get_mine_and_a_co_members(team):
    mine = team.member.profiles.get()
    assert isinstance(mine, Profile) and str(mine.id) == team.member_user.id
    assert mine.email == team.member_user.email and mine.role == UserRole.member
    assert str(team.member.profiles.get(team.admin_user.id).id) == team.admin_user.id


def test_profiles_get_a_stranger_is_not_found(team):
    with pytest.raises(NotFound) as info:
        team.outsider.profiles.get(team.member_user.id)
    assert info.value.code == "PGRST116"


def test_profiles_get_by_email_for_the_service_role(team):
    found = team.service.profiles.get_by_email(team.viewer_user.email)
    assert str(found.id) == team.viewer_user.id
    with pytest.raises(NotFound):
        team.service.profiles.get_by_email(f"nobody-{uuid.uuid4().hex[:8]}@example.test")


def test_profiles_get_by_email_does_not_find_strangers_for_users(team):
    with pytest.raises(NotFound):
        team.outsider.profiles.get_by_email(team.viewer_user.email)


def test_profiles_update_own(team):
    updated = team.member.profiles.update_own(name="Mia", avatar_url="https://example.test/mia.png")
    assert (updated.name, updated.avatar_url) == ("Mia", "https://example.test/mia.png")
    assert updated.updated_at >= updated.created_at
    assert team.admin.profiles.get(team.member_user.id).name == "Mia"
    assert team.member.profiles.update_own(avatar_url=None).avatar_url is None


def test_profiles_update_own_needs_a_field_and_a_user(team):
    with pytest.raises(ValidationError):
        team.member.profiles.update_own()
    with pytest.raises(AuthError):
        team.service.profiles.update_own(name="x")


def test_profiles_delete_is_for_the_service_role(api, team):
    doomed, doomed_client = api.user()
    with pytest.raises(PermissionDenied) as info:
        doomed_client.profiles.delete(doomed.id)
    assert info.value.code == "42501"
    deleted = team.service.profiles.delete(doomed.id)
    assert str(deleted.id) == doomed.id
    with pytest.raises(NotFound):
        team.service.profiles.get(doomed.id)
    with pytest.raises(NotFound):
        team.service.profiles.delete(doomed.id)
