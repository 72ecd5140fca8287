"""The client's organizations service, over every transport (tests/client/conftest.py)."""

from __future__ import annotations

import pytest

from supakit.client import Conflict, NotFound, PermissionDenied, ValidationError
from supakit.client.models import MyOrganizationsRow, Organization, SubscriptionStatus, UserRole

from helpers.client import slug


# --- organizations ------------------------------------------------------------------------


def test_organizations_create_makes_the_caller_admin_with_a_trial(team):
    assert isinstance(team.org, Organization) and team.org.name == "Acme" and team.org.settings == {}
    members = {str(m.user_id): m.role for m in team.admin.members.list(team.org.id)}
    assert members[team.admin_user.id] == UserRole.admin
    assert team.admin.subscriptions.get(team.org.id).status == SubscriptionStatus.trialing


def test_organizations_create_taken_slug_is_a_conflict(team):
    with pytest.raises(Conflict) as info:
        team.outsider.organizations.create("Copy", team.org.slug)
    assert info.value.code == "23505" and info.value.hint == "choose another slug"


@pytest.mark.parametrize("name, bad_slug", [("Acme", "Bad Slug!"), ("   ", None), ("x" * 101, None)])
def test_organizations_create_bad_input_is_a_validation_error(team, name, bad_slug):
    with pytest.raises(ValidationError) as info:
        team.outsider.organizations.create(name, bad_slug or slug())
    assert info.value.code == "23514" and info.value.message


def test_organizations_create_needs_a_user(team):
    with pytest.raises(PermissionDenied):
        team.service.organizations.create("Nobody's", slug())


def test_organizations_list_mine_with_my_role(team):
    second = team.viewer.organizations.create("Zeta", slug("zeta"))
    mine = team.viewer.organizations.list_mine()
    assert all(isinstance(row, MyOrganizationsRow) for row in mine)
    assert {(str(row.id), row.role) for row in mine} == {(str(team.org.id), UserRole.viewer), (str(second.id), UserRole.admin)}
    assert team.outsider.organizations.list_mine() == []


def test_organizations_get(team):
    assert team.viewer.organizations.get(team.org.id).slug == team.org.slug
    with pytest.raises(NotFound):
        team.outsider.organizations.get(team.org.id)


def test_organizations_update_by_an_admin(team):
    updated = team.admin.organizations.update(team.org.id, name="Acme Inc", settings={"theme": "dark"})
    assert (updated.name, updated.settings, updated.slug) == ("Acme Inc", {"theme": "dark"}, team.org.slug)
    assert team.member.organizations.get(team.org.id).name == "Acme Inc"


def test_organizations_update_refused_is_never_an_empty_success(team):
    with pytest.raises(PermissionDenied):  # sees it, may not change it
        team.member.organizations.update(team.org.id, name="Mine now")
    with pytest.raises(NotFound):  # does not see it
        team.outsider.organizations.update(team.org.id, name="Mine now")
    assert team.admin.organizations.get(team.org.id).name == "Acme"


def test_organizations_update_bad_input(team):
    with pytest.raises(ValidationError):
        team.admin.organizations.update(team.org.id, slug="NOT OK")
    with pytest.raises(ValidationError):
        team.admin.organizations.update(team.org.id)


def test_organizations_delete(team):
    with pytest.raises(PermissionDenied):
        team.member.organizations.delete(team.org.id, confirm_slug=team.org.slug)
    with pytest.raises(NotFound):
        team.outsider.organizations.delete(team.org.id, confirm_slug=team.org.slug)
    with pytest.raises(ValidationError):
        team.admin.organizations.delete(team.org.id, confirm_slug="not-its-slug")
    deleted = team.admin.organizations.delete(team.org.id, confirm_slug=team.org.slug)
    assert deleted.id == team.org.id
    with pytest.raises(NotFound):
        team.admin.organizations.get(team.org.id)
    assert team.member.organizations.list_mine() == []


def test_organizations_has_access_and_has_role(team):
    assert team.viewer.organizations.has_access(team.org.id) is True
    assert team.outsider.organizations.has_access(team.org.id) is False
    assert team.admin.organizations.has_role(team.org.id, "admin") is True
    assert team.member.organizations.has_role(team.org.id, ["admin"]) is False
    assert team.member.organizations.has_role(team.org.id, [UserRole.admin, UserRole.member]) is True
    with pytest.raises(ValidationError) as info:
        team.member.organizations.has_role(team.org.id, ["owner"])
    assert info.value.code == "22P02"
