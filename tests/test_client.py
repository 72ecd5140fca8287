"""The client's services, the same test bodies over every transport.

`api` is parametrized: `rest` (supakit.Client over supabase-py, through the gateway
and PostgREST with real tokens), `async` (supakit.AsyncClient, each call awaited on
an event loop), and `pool` (supakit.Client over a psycopg pool connected as
`authenticator` to the database PostgREST serves, acting as the user per
transaction). A test says who acts and what they expect, never how the call travels.

The REST database is shared by the session, so every test builds its own team (a
fresh organization with an admin, a member and a viewer, and an outsider) through
the client under test, and only looks at its own rows.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from supakit import AsyncClient, Client, Pool
from supakit.client import AuthError, Conflict, NotFound, PermissionDenied, ValidationError
from supakit.client.models import (
    AuditLog, MyOrganizationsRow, Organization, OrganizationMember, Profile, Project, Subscription,
    SubscriptionStatus, UserRole,
)

TRANSPORTS = ("rest", "async", "pool")


# --- fixtures ------------------------------------------------------------------------------


class Awaiting:
    """An AsyncClient service whose calls run to completion on a loop: same test bodies."""

    def __init__(self, service: Any, loop: asyncio.AbstractEventLoop):
        self._service, self._loop = service, loop

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._service, name)

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(method(*args, **kwargs))

        return call


class AwaitingClient:
    SERVICES = ("profiles", "organizations", "members", "subscriptions", "projects", "audit")

    def __init__(self, client: AsyncClient, loop: asyncio.AbstractEventLoop):
        self.client, self.loop = client, loop
        self.user_id = client.user_id
        for name in self.SERVICES:
            setattr(self, name, Awaiting(getattr(client, name), loop))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())


class Api:
    """Clients for callers, over one transport."""

    def __init__(self, transport: str, rest, pool: Pool, make_user):
        self.transport, self.rest, self.pool, self.make_user = transport, rest, pool, make_user
        self.loop = asyncio.new_event_loop() if transport == "async" else None
        self.opened: list[Any] = []

    def _client(self, token: str | None, user=None, key: str | None = None) -> Any:
        if self.transport == "pool":
            client = self.pool.as_user(user.id, user.email) if user is not None else self.pool.as_service_role()
        elif self.transport == "async":
            client = AwaitingClient(AsyncClient(self.rest.url, key or self.rest.anon_key, access_token=token), self.loop)
        else:
            client = Client(self.rest.url, key or self.rest.anon_key, access_token=token)
        self.opened.append(client)
        return client

    def user(self, **metadata: Any) -> tuple[Any, Any]:
        """A new signed-up user and a client acting as them."""
        user = self.make_user(**metadata)
        return user, self._client(user.token, user)

    def service(self) -> Any:
        return self._client(None, key=self.rest.service_key)

    def close(self) -> None:
        for client in self.opened:
            client.close()
        if self.loop is not None:
            self.loop.close()


@pytest.fixture(params=TRANSPORTS)
def api(request, rest, pool, make_user):
    opened = Api(request.param, rest, pool, make_user)
    yield opened
    opened.close()


def slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Team:
    """An organization its admin created through the client, with a member, a viewer, and
    an outsider who belongs to none of it."""

    def __init__(self, api: Api):
        (self.admin_user, self.admin), (self.member_user, self.member) = api.user(), api.user()
        (self.viewer_user, self.viewer), (self.outsider_user, self.outsider) = api.user(), api.user()
        self.service = api.service()
        self.org = self.admin.organizations.create("Acme", slug("acme"))
        self.service.members.add(self.org.id, user_id=self.member_user.id, role="member")
        self.service.members.add(self.org.id, user_id=self.viewer_user.id, role="viewer")


@pytest.fixture
def team(api) -> Team:
    return Team(api)


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


# --- members -------------------------------------------------------------------------------


def test_members_list(team):
    members = team.viewer.members.list(team.org.id)
    assert all(isinstance(m, OrganizationMember) for m in members)
    assert [(str(m.user_id), m.role) for m in members] == [
        (team.admin_user.id, UserRole.admin), (team.member_user.id, UserRole.member),
        (team.viewer_user.id, UserRole.viewer),
    ]
    assert team.outsider.members.list(team.org.id) == []


def test_members_add(api, team):
    newcomer, _ = api.user()
    added = team.service.members.add(team.org.id, user_id=newcomer.id)
    assert (str(added.user_id), added.role) == (newcomer.id, UserRole.member)
    with pytest.raises(Conflict):
        team.service.members.add(team.org.id, user_id=newcomer.id)


def test_members_add_refusals(api, team):
    newcomer, _ = api.user()
    with pytest.raises(PermissionDenied) as info:
        team.admin.members.add(team.org.id, user_id=newcomer.id)  # no consent: invite instead
    assert info.value.code == "42501" and "invite_member" in (info.value.hint or "")
    with pytest.raises(PermissionDenied) as info:
        team.member.members.add(team.org.id, user_id=newcomer.id)
    assert info.value.code == "42501" and "admin" in (info.value.hint or "")
    with pytest.raises(NotFound) as info:
        team.outsider.members.add(team.org.id, user_id=newcomer.id)
    assert info.value.code == "PT404"
    with pytest.raises(NotFound):
        team.service.members.add(team.org.id, user_id=str(uuid.uuid4()))
    with pytest.raises(ValidationError):
        team.service.members.add(team.org.id)  # neither user_id nor email
    with pytest.raises(ValidationError):
        team.service.members.add(team.org.id, user_id=newcomer.id, role="owner")


def test_members_add_by_email_for_the_service_role(api, team):
    other = team.admin.organizations.create("Other", slug("other"))
    added = team.service.members.add(other.id, email=team.viewer_user.email.upper(), role="admin")
    assert (str(added.user_id), added.role) == (team.viewer_user.id, UserRole.admin)


def test_members_change_role(team):
    changed = team.admin.members.change_role(team.org.id, team.viewer_user.id, "member")
    assert changed.role == UserRole.member
    with pytest.raises(PermissionDenied):
        team.member.members.change_role(team.org.id, team.viewer_user.id, "admin")
    with pytest.raises(NotFound):
        team.admin.members.change_role(team.org.id, team.outsider_user.id, "member")
    with pytest.raises(ValidationError) as info:  # the last admin stays an admin
        team.admin.members.change_role(team.org.id, team.admin_user.id, "member")
    assert info.value.code == "23514"


def test_members_remove(team):
    removed = team.admin.members.remove(team.org.id, team.viewer_user.id)
    assert str(removed.user_id) == team.viewer_user.id
    assert team.viewer.organizations.has_access(team.org.id) is False
    with pytest.raises(PermissionDenied):
        team.member.members.remove(team.org.id, team.admin_user.id)
    with pytest.raises(NotFound):
        team.admin.members.remove(team.org.id, team.viewer_user.id)


def test_members_leave(team):
    left = team.member.members.leave(team.org.id)
    assert str(left.user_id) == team.member_user.id
    assert team.member.organizations.list_mine() == []
    with pytest.raises(ValidationError):  # the last admin cannot leave
        team.admin.members.leave(team.org.id)
    with pytest.raises(NotFound):
        team.outsider.members.leave(team.org.id)


def test_members_invite_and_accept(api, team):
    newcomer, newcomer_client = api.user()
    invitation = team.admin.members.invite(team.org.id, newcomer.email.upper(), role="viewer",
                                           valid_for=timedelta(days=1))
    assert invitation.token and invitation.expires_at > datetime.now(timezone.utc)
    [pending] = team.admin.members.invitations(team.org.id)
    assert (pending.id, pending.email, pending.role, pending.status) == (
        invitation.invitation_id, newcomer.email.lower(), UserRole.viewer, "pending")
    joined = newcomer_client.members.accept_invitation(invitation.token)
    assert (str(joined.user_id), joined.role) == (newcomer.id, UserRole.viewer)
    assert team.admin.members.invitations(team.org.id)[0].status == "accepted"
    with pytest.raises(ValidationError):  # used once
        newcomer_client.members.accept_invitation(invitation.token)


def test_members_invite_refusals(team):
    with pytest.raises(PermissionDenied):
        team.member.members.invite(team.org.id, "someone@example.test")
    with pytest.raises(NotFound):
        team.outsider.members.invite(team.org.id, "someone@example.test")
    with pytest.raises(ValidationError) as info:
        team.admin.members.invite(team.org.id, "not an address")
    assert info.value.code == "22023"
    with pytest.raises(Conflict):
        team.admin.members.invite(team.org.id, team.viewer_user.email)
    with pytest.raises(PermissionDenied):
        team.member.members.invitations(team.org.id)


def test_members_revoke_invitation(api, team):
    invitee, invitee_client = api.user()
    invitation = team.admin.members.invite(team.org.id, invitee.email)
    with pytest.raises(NotFound):
        team.outsider.members.revoke_invitation(invitation.invitation_id)
    with pytest.raises(PermissionDenied):
        team.member.members.revoke_invitation(invitation.invitation_id)
    assert team.admin.members.revoke_invitation(invitation.invitation_id) is None
    assert team.admin.members.invitations(team.org.id)[0].status == "revoked"
    with pytest.raises(NotFound):
        invitee_client.members.accept_invitation(invitation.token)
    with pytest.raises(PermissionDenied):  # an invitation is for its address only
        other = team.admin.members.invite(team.org.id, f"else-{uuid.uuid4().hex[:8]}@example.test")
        invitee_client.members.accept_invitation(other.token)


# --- subscriptions ------------------------------------------------------------------------


def test_subscriptions_get(team):
    subscription = team.viewer.subscriptions.get(team.org.id)
    assert isinstance(subscription, Subscription) and subscription.organization_id == team.org.id
    assert subscription.current_period_end - subscription.current_period_start == timedelta(days=14)
    with pytest.raises(NotFound):
        team.outsider.subscriptions.get(team.org.id)


def test_subscriptions_upsert_from_a_billing_event(team):
    end = datetime(2031, 1, 31, 12, 0, tzinfo=timezone.utc)
    first = team.service.subscriptions.upsert(
        team.org.id, status="active", stripe_customer_id=f"cus_{uuid.uuid4().hex[:10]}",
        stripe_subscription_id=f"sub_{uuid.uuid4().hex[:10]}", current_period_end=end,
    )
    assert (first.status, first.current_period_end) == (SubscriptionStatus.active, end)
    second = team.service.subscriptions.upsert(team.org.id, status="past_due", cancel_at_period_end=True)
    assert second.id == first.id and second.stripe_customer_id == first.stripe_customer_id
    assert (second.status, second.cancel_at_period_end) == (SubscriptionStatus.past_due, True)
    assert team.member.subscriptions.get(team.org.id).status == SubscriptionStatus.past_due


def test_subscriptions_upsert_refusals(team):
    with pytest.raises(PermissionDenied):
        team.admin.subscriptions.upsert(team.org.id, status="active")
    with pytest.raises(ValidationError) as info:
        team.service.subscriptions.upsert(team.org.id, status="free forever")
    assert info.value.code == "22P02"
    with pytest.raises(Conflict):  # no such organization: a foreign key violation
        team.service.subscriptions.upsert(str(uuid.uuid4()), status="active")


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
