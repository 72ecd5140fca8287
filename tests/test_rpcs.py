"""The tenancy RPCs (sql/functions/050-070) and the last-admin guard (040): for every
RPC its success, each refusal and each bad input, as the API caller would meet them.

Most tests act through `make_user(...).sql` (PostgREST's role and claims, one
transaction per call) on their own database clone and assert the SQLSTATE; the
REST section repeats a representative subset through the real PostgREST and
gateway, where those SQLSTATEs become HTTP statuses (23505 -> 409, 23514/22xxx/P0001
-> 400, PT404 -> 404, 42501 -> 403 signed in and 401 anonymous). REST tests share one
database for the session, so they create their own organizations with unique slugs.

The cross-tenant matrix and the attack probes live in tests/test_isolation.py.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import psycopg.types.json
import pytest
from postgrest.exceptions import APIError
from psycopg import sql
from psycopg.rows import dict_row

SLUG_RULE = "use 3 to 48 lower-case letters, digits and dashes, starting and ending with a letter or digit"
KEEP_ADMIN_HINT = "make another member an admin first, or delete the organization"
NOT_A_MEMBER_HINT = "it does not exist, or you are not a member"
TOKEN = re.compile(r"[0-9a-f]{64}")


# --- helpers ---------------------------------------------------------------------------


def one(conn, query, params=None):
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def unique_slug(prefix: str = "org") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def rpc(actor, fn: str, **args) -> list[dict]:
    """`select * from public.fn(name => value, ...)` as `actor`, in one request."""
    query = sql.SQL("select * from public.{}({})").format(
        sql.Identifier(fn),
        sql.SQL(", ").join(sql.SQL("{} => {}").format(sql.Identifier(name), sql.Placeholder()) for name in args),
    )
    with actor.sql.transaction() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, list(args.values()))
        return cur.fetchall()


def rpc_one(actor, fn: str, **args) -> dict:
    rows = rpc(actor, fn, **args)
    assert len(rows) == 1, rows
    return rows[0]


def refused(actor, fn: str, sqlstate: str, **args) -> psycopg.Error:
    """Calls the RPC, expects it to raise `sqlstate`, and returns the error."""
    with pytest.raises(psycopg.Error) as info:
        rpc(actor, fn, **args)
    assert info.value.sqlstate == sqlstate, f"{info.value.sqlstate}: {info.value}"
    return info.value


def message(err: psycopg.Error) -> str:
    return err.diag.message_primary or ""


def new_org(admin, name: str = "Acme") -> str:
    return str(rpc_one(admin, "create_organization", name=name, slug=unique_slug())["id"])


def add(service, org: str, user, role: str = "member") -> dict:
    """A direct add: the service role's (provisioning); admins invite instead."""
    return rpc_one(service, "add_member", organization_id=org, user_id=user.id, role=role)


def role_of(db, org: str, user) -> str | None:
    return one(db, "select role::text from public.organization_members where organization_id = %s and user_id = %s",
               (org, user.id))


def admin_count(db, org: str) -> int:
    return one(db, "select count(*) from public.organization_members where organization_id = %s and role = 'admin'",
               (org,))


def tenancy_counts(db) -> tuple[int, int, int]:
    return tuple(one(db, f"select count(*) from public.{table}")
                 for table in ("organizations", "organization_members", "subscriptions"))


def invite(admin, org: str, email: str, **args) -> dict:
    return rpc_one(admin, "invite_member", organization_id=org, email=email, **args)


def invitation(db, invitation_id) -> dict:
    with db.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from private.invitations where id = %s", (invitation_id,)).fetchone()


def expire(db, invitation_id) -> None:
    db.execute("update private.invitations set expires_at = now() - interval '1 minute' where id = %s",
               (invitation_id,))


def statuses(admin, org: str) -> dict[str, str]:
    return {row["email"]: row["status"] for row in rpc(admin, "list_invitations", organization_id=org)}


def without_profile(db, make_user):
    """A signed-in auth user without an email, hence without a profile (a phone sign-up)."""
    user = make_user()
    db.execute("update auth.users set email = null where id = %s", (user.id,))
    db.execute("delete from public.profiles where id = %s", (user.id,))
    assert one(db, "select email from auth.users where id = %s", (user.id,)) is None
    return user


@dataclass
class Team:
    """One organization with an admin, a member and a viewer, and an outsider."""

    org: str
    admin: Any
    member: Any
    viewer: Any
    outsider: Any
    service: Any


@pytest.fixture
def team(make_user, service_role) -> Team:
    admin, member, viewer, outsider = make_user(), make_user(), make_user(), make_user()
    org = new_org(admin)
    add(service_role, org, member, "member")
    add(service_role, org, viewer, "viewer")
    return Team(org, admin, member, viewer, outsider, service_role)


# --- create_organization ----------------------------------------------------------------


def test_create_organization_creates_org_admin_and_trial(db, make_user):
    alice = make_user()
    slug = unique_slug()
    org = rpc_one(alice, "create_organization", name="Acme Inc", slug=slug)

    assert (org["name"], org["slug"], org["settings"]) == ("Acme Inc", slug, {})
    assert one(db, "select slug from public.organizations where id = %s", (org["id"],)) == slug
    assert one(db, "select array_agg(user_id::text || ':' || role) from public.organization_members "
                   "where organization_id = %s", (org["id"],)) == [f"{alice.id}:admin"]
    status, start_gap, end_gap = db.execute(
        "select status::text, "
        "       abs(extract(epoch from current_period_start - now())), "
        "       abs(extract(epoch from current_period_end - (now() + interval '14 days'))) "
        "from public.subscriptions where organization_id = %s", (org["id"],)).fetchone()
    assert status == "trialing"
    assert start_gap < 1 and end_gap < 1


def test_create_organization_trial_is_exactly_fourteen_days_in_one_transaction(make_user):
    alice = make_user()
    with alice.sql.transaction() as conn:
        org = one(conn, "select id from public.create_organization('Acme', %s)", (unique_slug(),))
        exact = one(conn, "select current_period_end = now() + interval '14 days' and current_period_start = now() "
                          "from public.subscriptions where organization_id = %s", (org,))
    assert exact is True


def test_create_organization_creator_reads_what_was_created(make_user):
    alice = make_user()
    org = new_org(alice)
    assert one(alice.sql, "select count(*) from public.organizations where id = %s", (org,)) == 1
    status = one(alice.sql, "select status::text from public.subscriptions where organization_id = %s", (org,))
    assert status == "trialing"


def test_create_organization_one_user_many_organizations(db, make_user):
    alice = make_user()
    first, second = new_org(alice), new_org(alice)
    assert first != second
    assert role_of(db, first, alice) == role_of(db, second, alice) == "admin"


@pytest.mark.parametrize("slug", ["abc", "a-b", "a--b", "0rg", "acme-2024", "a" * 48])
def test_create_organization_accepts_valid_slugs(make_user, slug):
    alice = make_user()
    assert rpc_one(alice, "create_organization", name="Acme", slug=slug)["slug"] == slug


@pytest.mark.parametrize("name", ["A", "x" * 100, "é" * 100, "  padded  "])
def test_create_organization_accepts_valid_names(make_user, name):
    assert rpc_one(make_user(), "create_organization", name=name, slug=unique_slug())["name"] == name


def test_create_organization_taken_slug_is_23505_and_creates_nothing(db, make_user):
    alice, bob = make_user(), make_user()
    slug = unique_slug()
    rpc(alice, "create_organization", name="Acme", slug=slug)
    before = tenancy_counts(db)

    err = refused(bob, "create_organization", "23505", name="Other", slug=slug)

    assert message(err) == f'the slug "{slug}" is taken'
    assert err.diag.message_hint == "choose another slug"
    assert tenancy_counts(db) == before
    assert one(db, "select count(*) from public.organization_members where user_id = %s", (bob.id,)) == 0


@pytest.mark.parametrize("slug", [
    "ab",                # too short
    "a" * 49,            # too long
    "Acme",              # upper case
    "-acme",             # starts with a dash
    "acme-",             # ends with a dash
    "ac_me",             # underscore
    "ac me",             # space
    "ac.me",             # dot
    "ácme",              # not ASCII
    "acme\n",            # trailing newline ($ is end of string)
    "",                  # empty
])
def test_create_organization_bad_slug_is_23514_naming_the_rule(db, make_user, slug):
    before = tenancy_counts(db)
    err = refused(make_user(), "create_organization", "23514", name="Acme", slug=slug)
    assert message(err) == f'invalid slug "{slug}": {SLUG_RULE}'
    assert tenancy_counts(db) == before


@pytest.mark.parametrize("name", ["", " ", "\t\n  "])
def test_create_organization_blank_name_is_23514(db, make_user, name):
    before = tenancy_counts(db)
    err = refused(make_user(), "create_organization", "23514", name=name, slug=unique_slug())
    assert message(err) == "the organization name must not be blank"
    assert tenancy_counts(db) == before


def test_create_organization_name_over_100_characters_is_23514(db, make_user):
    before = tenancy_counts(db)
    err = refused(make_user(), "create_organization", "23514", name="x" * 101, slug=unique_slug())
    assert message(err) == "the organization name is longer than 100 characters"
    assert tenancy_counts(db) == before


@pytest.mark.parametrize("args", [{"name": None, "slug": "acme-x"}, {"name": "Acme", "slug": None}])
def test_create_organization_null_name_or_slug_is_23502(db, make_user, args):
    before = tenancy_counts(db)
    err = refused(make_user(), "create_organization", "23502", **args)
    assert message(err) == "an organization needs a name and a slug"
    assert tenancy_counts(db) == before


def test_create_organization_anon_cannot_execute(db, anon):
    before = tenancy_counts(db)
    err = refused(anon, "create_organization", "42501", name="Acme", slug=unique_slug())
    assert "permission denied for function create_organization" in message(err)
    assert tenancy_counts(db) == before


def test_create_organization_service_role_has_no_caller(db, service_role):
    before = tenancy_counts(db)
    err = refused(service_role, "create_organization", "42501", name="Acme", slug=unique_slug())
    assert message(err) == "sign in to create an organization"
    assert tenancy_counts(db) == before


def test_create_organization_user_without_profile_gets_a_clear_error(db, make_user):
    phone_user = without_profile(db, make_user)
    before = tenancy_counts(db)
    err = refused(phone_user, "create_organization", "P0001", name="Acme", slug=unique_slug())
    assert "no profile" in message(err) and "email" in message(err)
    assert tenancy_counts(db) == before


# --- my_organizations, has_org_access, has_org_role --------------------------------------


def test_my_organizations_lists_mine_with_my_role(make_user, service_role):
    alice, bob, carol = make_user(), make_user(), make_user()
    own = new_org(alice, name="B Alice's")
    joined = new_org(bob, name="A Bob's")
    add(service_role, joined, alice, "viewer")
    new_org(carol, name="C Carol's")

    rows = rpc(alice, "my_organizations")

    assert [(str(r["id"]), r["role"]) for r in rows] == [(joined, "viewer"), (own, "admin")]  # ordered by name
    assert set(rows[0]) == {"id", "name", "slug", "logo_url", "settings", "role", "created_at", "updated_at"}


def test_my_organizations_empty_for_a_new_user_and_the_service_role(make_user, service_role):
    new_org(make_user())
    assert rpc(make_user(), "my_organizations") == []
    assert rpc(service_role, "my_organizations") == []


def test_my_organizations_follows_role_changes_and_leaving(team):
    rpc(team.admin, "change_member_role", organization_id=team.org, user_id=team.member.id, role="viewer")
    assert [r["role"] for r in rpc(team.member, "my_organizations")] == ["viewer"]
    rpc(team.member, "leave_organization", organization_id=team.org)
    assert rpc(team.member, "my_organizations") == []


def test_has_org_access(team, make_user):
    other = new_org(make_user())
    for user in (team.admin, team.member, team.viewer):
        assert rpc_one(user, "has_org_access", organization_id=team.org)["has_org_access"] is True
        assert rpc_one(user, "has_org_access", organization_id=other)["has_org_access"] is False
        assert rpc_one(user, "has_org_access", organization_id=str(uuid.uuid4()))["has_org_access"] is False
    assert rpc_one(team.outsider, "has_org_access", organization_id=team.org)["has_org_access"] is False


@pytest.mark.parametrize(("who", "roles", "expected"), [
    ("admin", "{admin}", True),
    ("admin", "{member,viewer}", False),
    ("member", "{admin,member}", True),
    ("member", "{admin}", False),
    ("viewer", "{viewer}", True),
    ("viewer", "{admin,member}", False),
    ("admin", "{}", False),
    ("outsider", "{admin,member,viewer}", False),
])
def test_has_org_role(team, who, roles, expected):
    result = rpc_one(getattr(team, who), "has_org_role", organization_id=team.org, roles=roles)
    assert result["has_org_role"] is expected


def test_has_org_role_other_or_unknown_org_is_false(team, make_user):
    other = new_org(make_user())
    for org in (other, str(uuid.uuid4())):
        answer = rpc_one(team.admin, "has_org_role", organization_id=org, roles="{admin,member,viewer}")
        assert answer["has_org_role"] is False


def test_has_org_role_bad_role_is_22P02(team):
    refused(team.admin, "has_org_role", "22P02", organization_id=team.org, roles="{owner}")


@pytest.mark.parametrize("fn", ["has_org_access", "has_org_role"])
def test_access_checks_are_false_for_the_service_role(team, service_role, fn):
    args = {"roles": "{admin}"} if fn == "has_org_role" else {}
    assert rpc_one(service_role, fn, organization_id=team.org, **args)[fn] is False


@pytest.mark.parametrize(("fn", "args"), [
    ("my_organizations", {}),
    ("has_org_access", {"organization_id": str(uuid.uuid4())}),
    ("has_org_role", {"organization_id": str(uuid.uuid4()), "roles": "{admin}"}),
])
def test_access_checks_anon_cannot_execute(db, anon, fn, args):
    refused(anon, fn, "42501", **args)


# --- add_member: the service role's direct add; admins invite -----------------------------


def test_add_member_by_id_defaults_to_member(db, team, make_user):
    dave = make_user()
    added = rpc_one(team.service, "add_member", organization_id=team.org, user_id=dave.id)
    assert (str(added["organization_id"]), str(added["user_id"]), added["role"]) == (team.org, dave.id, "member")
    assert role_of(db, team.org, dave) == "member"


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_add_member_with_explicit_role(db, team, make_user, role):
    dave = make_user()
    assert add(team.service, team.org, dave, role)["role"] == role
    assert role_of(db, team.org, dave) == role


def test_add_member_null_role_means_member(db, team, make_user):
    dave = make_user()
    assert rpc_one(team.service, "add_member", organization_id=team.org, user_id=dave.id, role=None)["role"] == "member"


@pytest.mark.parametrize("spell", [str, str.upper, str.title, lambda email: f"  {email} "],
                         ids=["as-is", "upper", "title", "padded"])
def test_add_member_by_email_is_case_insensitive_and_trimmed(db, team, make_user, spell):
    dave = make_user(email=f"dave-{uuid.uuid4().hex[:8]}@example.test")
    added = rpc_one(team.service, "add_member", organization_id=team.org, email=spell(dave.email), role="viewer")
    assert (str(added["user_id"]), added["role"]) == (dave.id, "viewer")


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
def test_add_member_by_anyone_signed_in_is_refused_without_consent(db, team, make_user, who):
    """Hole 1: an admin put any user into their organization (who then could not leave
    as its last admin). Joining needs the joiner's consent: admins invite."""
    dave = make_user(email=f"dave-{uuid.uuid4().hex[:8]}@example.test")
    for args in ({"user_id": dave.id}, {"email": dave.email}):
        err = refused(getattr(team, who), "add_member", "42501", organization_id=team.org, role="admin", **args)
        if who == "admin":
            assert message(err) == "adding someone to an organization needs their consent: invite them instead"
            assert "invite_member" in err.diag.message_hint
        else:
            assert message(err) == f"your role in this organization ({who}) cannot add members"
    assert role_of(db, team.org, dave) is None


@pytest.mark.parametrize("role", ["owner", "ADMIN", ""])
def test_add_member_bad_role_is_22P02(db, team, make_user, role):
    dave = make_user()
    refused(team.service, "add_member", "22P02", organization_id=team.org, user_id=dave.id, role=role)
    assert role_of(db, team.org, dave) is None


def test_add_member_bad_uuid_is_22P02(team):
    refused(team.service, "add_member", "22P02", organization_id="not-a-uuid", user_id=team.outsider.id)
    refused(team.service, "add_member", "22P02", organization_id=team.org, user_id="not-a-uuid")


@pytest.mark.parametrize("both", [False, True])
def test_add_member_needs_exactly_one_of_id_and_email(db, team, both):
    args = {"user_id": team.outsider.id, "email": team.outsider.email} if both else {}
    err = refused(team.service, "add_member", "22023", organization_id=team.org, **args)
    assert message(err) == "give either user_id or email"
    assert role_of(db, team.org, team.outsider) is None


def test_add_member_unknown_user_or_org_is_PT404(team):
    ghost = str(uuid.uuid4())
    err = refused(team.service, "add_member", "PT404", organization_id=team.org, user_id=ghost)
    assert message(err) == f"no user with id {ghost}"
    assert err.diag.message_hint == "invite the address instead: invite_member"
    err = refused(team.service, "add_member", "PT404", organization_id=team.org, email="nobody@example.test")
    assert message(err) == "no user with email nobody@example.test"
    err = refused(team.service, "add_member", "PT404", organization_id=ghost, user_id=team.outsider.id)
    assert message(err) == f"organization {ghost} not found"


def test_add_member_long_email_is_quoted_by_a_short_prefix(team):
    err = refused(team.service, "add_member", "PT404", organization_id=team.org, email="x" * 100_000 + "@example.test")
    assert len(message(err)) < 120 and "(100013 characters)" in message(err)


def test_add_member_user_without_profile_is_PT404(db, team, make_user):
    phone_user = without_profile(db, make_user)
    refused(team.service, "add_member", "PT404", organization_id=team.org, user_id=phone_user.id)


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
def test_add_member_already_a_member_is_23505(db, team, who):
    user = getattr(team, who)
    before = role_of(db, team.org, user)
    err = refused(team.service, "add_member", "23505", organization_id=team.org, user_id=user.id, role="admin")
    assert message(err) == "that user is already a member of this organization"
    assert role_of(db, team.org, user) == before


def test_add_member_outsider_and_unknown_org_are_the_same_PT404(db, team, make_user):
    """An outsider learns nothing about whether an organization exists."""
    unknown = str(uuid.uuid4())
    errors = {org: refused(team.outsider, "add_member", "PT404", organization_id=org, user_id=team.outsider.id)
              for org in (team.org, unknown)}
    for org, err in errors.items():
        assert message(err) == f"organization {org} not found"
        assert err.diag.message_hint == NOT_A_MEMBER_HINT
    assert role_of(db, team.org, team.outsider) is None


def test_add_member_admin_of_another_org_is_PT404(db, team, make_user):
    rival = make_user()
    new_org(rival)
    refused(rival, "add_member", "PT404", organization_id=team.org, user_id=rival.id, role="admin")
    assert role_of(db, team.org, rival) is None


def test_add_member_anon_refused(db, team, anon):
    refused(anon, "add_member", "42501", organization_id=team.org, user_id=team.outsider.id)
    assert role_of(db, team.org, team.outsider) is None


# --- change_member_role -------------------------------------------------------------------


@pytest.mark.parametrize(("who", "role"), [("member", "viewer"), ("viewer", "admin"), ("member", "member")])
def test_change_member_role(db, team, who, role):
    user = getattr(team, who)
    changed = rpc_one(team.admin, "change_member_role", organization_id=team.org, user_id=user.id, role=role)
    assert (str(changed["user_id"]), changed["role"]) == (user.id, role)
    assert role_of(db, team.org, user) == role


def test_change_member_role_target_not_a_member_is_PT404(team):
    for target in (team.outsider.id, str(uuid.uuid4())):
        err = refused(team.admin, "change_member_role", "PT404", organization_id=team.org, user_id=target, role="admin")
        assert message(err) == f"user {target} is not a member of this organization"


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_change_member_role_non_admin_is_42501(db, team, who):
    user = getattr(team, who)
    err = refused(user, "change_member_role", "42501", organization_id=team.org, user_id=user.id, role="admin")
    assert message(err) == f"your role in this organization ({who}) cannot change roles"
    assert role_of(db, team.org, user) == who


def test_change_member_role_outsider_and_unknown_org_are_PT404(db, team):
    for org in (team.org, str(uuid.uuid4())):
        err = refused(team.outsider, "change_member_role", "PT404", organization_id=org, user_id=team.admin.id,
                      role="viewer")
        assert message(err) == f"organization {org} not found"
    assert role_of(db, team.org, team.admin) == "admin"


def test_change_member_role_bad_or_null_role(db, team):
    refused(team.admin, "change_member_role", "22P02", organization_id=team.org, user_id=team.member.id, role="owner")
    err = refused(team.admin, "change_member_role", "22023", organization_id=team.org, user_id=team.member.id,
                  role=None)
    assert message(err) == "role must be admin, member or viewer"
    assert role_of(db, team.org, team.member) == "member"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_change_member_role_demoting_the_last_admin_is_23514(db, team, role):
    err = refused(team.admin, "change_member_role", "23514", organization_id=team.org, user_id=team.admin.id, role=role)
    assert message(err) == f"organization {team.org} must keep at least one admin"
    assert err.diag.message_hint == KEEP_ADMIN_HINT
    assert role_of(db, team.org, team.admin) == "admin"


def test_change_member_role_promote_another_then_demote_self(db, team):
    rpc(team.admin, "change_member_role", organization_id=team.org, user_id=team.member.id, role="admin")
    rpc(team.admin, "change_member_role", organization_id=team.org, user_id=team.admin.id, role="viewer")
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("viewer", "admin")
    # The former admin has no say any more; the new one does.
    refused(team.admin, "change_member_role", "42501", organization_id=team.org, user_id=team.admin.id, role="admin")
    rpc(team.member, "change_member_role", organization_id=team.org, user_id=team.admin.id, role="member")
    assert role_of(db, team.org, team.admin) == "member"


# --- remove_member and leave_organization ---------------------------------------------------


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_remove_member_by_admin(db, team, who):
    user = getattr(team, who)
    removed = rpc_one(team.admin, "remove_member", organization_id=team.org, user_id=user.id)
    assert (str(removed["user_id"]), removed["role"]) == (user.id, who)
    assert role_of(db, team.org, user) is None


def test_remove_member_admin_removes_another_admin(db, team):
    add(team.service, team.org, team.outsider, "admin")
    rpc(team.admin, "remove_member", organization_id=team.org, user_id=team.outsider.id)
    assert role_of(db, team.org, team.outsider) is None


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_remove_member_self_is_leaving(db, team, who):
    user = getattr(team, who)
    rpc(user, "remove_member", organization_id=team.org, user_id=user.id)
    assert role_of(db, team.org, user) is None
    assert rpc_one(user, "has_org_access", organization_id=team.org)["has_org_access"] is False


@pytest.mark.parametrize(("who", "target"), [("member", "viewer"), ("viewer", "member"), ("member", "admin")])
def test_remove_member_non_admin_cannot_remove_others(db, team, who, target):
    err = refused(getattr(team, who), "remove_member", "42501", organization_id=team.org,
                  user_id=getattr(team, target).id)
    assert message(err) == f"your role in this organization ({who}) cannot remove members"
    assert role_of(db, team.org, getattr(team, target)) == target


def test_remove_member_last_admin_is_23514(db, team):
    err = refused(team.admin, "remove_member", "23514", organization_id=team.org, user_id=team.admin.id)
    assert err.diag.message_hint == KEEP_ADMIN_HINT
    assert role_of(db, team.org, team.admin) == "admin"


def test_remove_member_target_not_a_member_is_PT404(team):
    for target in (team.outsider.id, str(uuid.uuid4())):
        err = refused(team.admin, "remove_member", "PT404", organization_id=team.org, user_id=target)
        assert message(err) == f"user {target} is not a member of this organization"


def test_remove_member_null_user_is_22023(team):
    err = refused(team.admin, "remove_member", "22023", organization_id=team.org, user_id=None)
    assert message(err) == "give the user_id of the member to remove"


def test_remove_member_outsider_and_unknown_org_are_PT404(db, team):
    for org in (team.org, str(uuid.uuid4())):
        for target in (team.member.id, team.outsider.id):
            err = refused(team.outsider, "remove_member", "PT404", organization_id=org, user_id=target)
            assert message(err) == f"organization {org} not found"
    assert role_of(db, team.org, team.member) == "member"


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_leave_organization(db, team, who):
    user = getattr(team, who)
    left = rpc_one(user, "leave_organization", organization_id=team.org)
    assert (str(left["user_id"]), left["role"]) == (user.id, who)
    assert role_of(db, team.org, user) is None


def test_leave_organization_admin_leaves_when_another_admin_remains(db, team):
    rpc(team.admin, "change_member_role", organization_id=team.org, user_id=team.member.id, role="admin")
    rpc(team.admin, "leave_organization", organization_id=team.org)
    assert role_of(db, team.org, team.admin) is None


def test_leave_organization_last_admin_is_23514(db, team):
    err = refused(team.admin, "leave_organization", "23514", organization_id=team.org)
    assert message(err) == f"organization {team.org} must keep at least one admin"
    assert err.diag.message_hint == KEEP_ADMIN_HINT
    assert role_of(db, team.org, team.admin) == "admin"


def test_leave_organization_not_a_member_is_PT404(team):
    for org in (team.org, str(uuid.uuid4())):
        err = refused(team.outsider, "leave_organization", "PT404", organization_id=org)
        assert message(err) == f"organization {org} not found"


def test_leave_organization_twice_is_PT404(team):
    rpc(team.member, "leave_organization", organization_id=team.org)
    refused(team.member, "leave_organization", "PT404", organization_id=team.org)


def test_membership_rpcs_anon_cannot_execute(team, anon):
    refused(anon, "change_member_role", "42501", organization_id=team.org, user_id=team.member.id, role="admin")
    refused(anon, "remove_member", "42501", organization_id=team.org, user_id=team.member.id)
    refused(anon, "leave_organization", "42501", organization_id=team.org)


def test_membership_rpcs_service_role_has_no_caller(db, team, service_role):
    err = refused(service_role, "change_member_role", "42501", organization_id=team.org, user_id=team.admin.id,
                  role="viewer")
    assert message(err) == "sign in to change roles"
    refused(service_role, "remove_member", "42501", organization_id=team.org, user_id=team.member.id)
    refused(service_role, "leave_organization", "42501", organization_id=team.org)
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("admin", "member")


# --- the last-admin guard, whatever the path ----------------------------------------------


def assert_keeps_admin(err: psycopg.Error, org: str) -> None:
    assert err.sqlstate == "23514", err
    assert message(err) == f"organization {org} must keep at least one admin"
    assert err.diag.message_hint == KEEP_ADMIN_HINT


@pytest.mark.parametrize("statement", [
    "update public.organization_members set role = 'member' where organization_id = %(org)s",
    "update public.organization_members set role = 'viewer' where user_id = %(admin)s",
    "delete from public.organization_members where organization_id = %(org)s and user_id = %(admin)s",
    "delete from public.organization_members where organization_id = %(org)s",
])
def test_guard_as_the_admin_in_sql_through_rls(db, team, statement):
    with pytest.raises(psycopg.Error) as info:
        team.admin.sql.execute(statement, {"org": team.org, "admin": team.admin.id})
    assert_keeps_admin(info.value, team.org)
    assert admin_count(db, team.org) == 1
    assert one(db, "select count(*) from public.organization_members where organization_id = %s", (team.org,)) == 3


@pytest.mark.parametrize("statement", [
    "update public.organization_members set role = 'member' where user_id = %(admin)s",
    "delete from public.organization_members where user_id = %(admin)s",
    "delete from public.organization_members where organization_id = %(org)s",
    "update public.organization_members set organization_id = %(other)s where user_id = %(admin)s "
    "and organization_id = %(org)s",
    "delete from public.profiles where id = %(admin)s",
    "delete from auth.users where id = %(admin)s",
])
def test_guard_as_superuser(db, team, make_user, statement):
    other = new_org(make_user())
    with pytest.raises(psycopg.Error) as info:
        db.execute(statement, {"org": team.org, "admin": team.admin.id, "other": other})
    assert_keeps_admin(info.value, team.org)
    assert role_of(db, team.org, team.admin) == "admin"
    assert one(db, "select count(*) from auth.users where id = %s", (team.admin.id,)) == 1


def test_guard_allows_deleting_a_user_once_another_admin_exists(db, team):
    add(team.service, team.org, team.outsider, "admin")
    db.execute("delete from auth.users where id = %s", (team.admin.id,))
    assert role_of(db, team.org, team.admin) is None
    assert admin_count(db, team.org) == 1


def test_guard_allows_deleting_a_non_admin_user(db, team):
    db.execute("delete from auth.users where id = %s", (team.member.id,))
    assert role_of(db, team.org, team.member) is None


def slug_of(db, org: str) -> str:
    return one(db, "select slug from public.organizations where id = %s", (org,))


def test_guard_allows_the_admin_to_delete_the_organization(db, team):
    invite(team.admin, team.org, "someone@example.test")
    deleted = rpc_one(team.admin, "delete_organization", organization_id=team.org, confirm_slug=slug_of(db, team.org))
    assert str(deleted["id"]) == team.org
    for table in ("organization_members", "subscriptions"):
        assert one(db, f"select count(*) from public.{table} where organization_id = %s", (team.org,)) == 0
    assert one(db, "select count(*) from private.invitations where organization_id = %s", (team.org,)) == 0


def test_guard_allows_superuser_to_delete_the_organization(db, team):
    db.execute("delete from public.organizations where id = %s", (team.org,))
    assert one(db, "select count(*) from public.organization_members where organization_id = %s", (team.org,)) == 0


def test_guard_non_admin_cannot_delete_the_organization(db, team):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        team.member.sql.execute("delete from public.organizations where id = %s", (team.org,))
    refused(team.member, "delete_organization", "42501", organization_id=team.org, confirm_slug=slug_of(db, team.org))
    assert one(db, "select count(*) from public.organizations where id = %s", (team.org,)) == 1


# --- deleting an organization is deliberate (hole 6) ----------------------------------------


def test_a_plain_delete_by_the_admin_is_refused(db, team):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        team.admin.sql.execute("delete from public.organizations where id = %s", (team.org,))
    assert one(db, "select count(*) from public.organizations where id = %s", (team.org,)) == 1


@pytest.mark.parametrize("confirm", [None, "", "wrong-slug", "x" * 100_000])
def test_delete_organization_needs_its_exact_slug(db, team, confirm):
    err = refused(team.admin, "delete_organization", "22023", organization_id=team.org, confirm_slug=confirm)
    assert "is not the slug of organization" in message(err) and len(message(err)) < 200
    assert one(db, "select count(*) from public.organizations where id = %s", (team.org,)) == 1


def test_delete_organization_outsider_and_unknown_are_PT404(db, team):
    refused(team.outsider, "delete_organization", "PT404", organization_id=team.org, confirm_slug=slug_of(db, team.org))
    refused(team.service, "delete_organization", "PT404", organization_id=str(uuid.uuid4()), confirm_slug="abc")
    assert one(db, "select count(*) from public.organizations where id = %s", (team.org,)) == 1


def test_delete_organization_by_the_service_role_and_its_audit_trail(db, team):
    slug = slug_of(db, team.org)
    rpc_one(team.service, "delete_organization", organization_id=team.org, confirm_slug=slug)
    assert one(db, "select count(*) from public.organizations where id = %s", (team.org,)) == 0
    # The deletion itself stays attributable: the entry names the organization by id and slug.
    entry = db.execute("select old_values ->> 'slug' from public.audit_logs "
                       "where action = 'delete' and entity_type = 'organizations' and entity_id = %s", (team.org,)).fetchone()
    assert entry == (slug,)


def test_delete_organization_by_its_admin_is_audited_in_their_name(db, team):
    rpc_one(team.admin, "delete_organization", organization_id=team.org, confirm_slug=slug_of(db, team.org))
    assert one(db, "select user_id::text from public.audit_logs where action = 'delete' and entity_type = 'organizations' "
                   "and entity_id = %s", (team.org,)) == team.admin.id


@pytest.mark.parametrize("constraints", ["all", "organization_members_keep_an_admin",
                                         "public.organization_members_keep_an_admin"])
def test_guard_deferred_swap_demoting_first(db, team, constraints):
    """Deferred, the check waits for the commit: a swap may demote the old admin first."""
    with db.transaction():
        db.execute(f"set constraints {constraints} deferred")
        db.execute("update public.organization_members set role = 'viewer' where user_id = %s", (team.admin.id,))
        db.execute("update public.organization_members set role = 'admin' where user_id = %s", (team.member.id,))
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("viewer", "admin")


def test_guard_immediate_refuses_demoting_first(db, team):
    with pytest.raises(psycopg.Error) as info:
        with db.transaction():
            db.execute("update public.organization_members set role = 'viewer' where user_id = %s", (team.admin.id,))
            db.execute("update public.organization_members set role = 'admin' where user_id = %s", (team.member.id,))
    assert_keeps_admin(info.value, team.org)
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("admin", "member")


def test_guard_swap_in_one_statement_needs_no_deferral(db, team):
    team.admin.sql.execute(
        "update public.organization_members "
        "set role = case when role = 'admin' then 'member' else 'admin' end::public.user_role "
        "where organization_id = %s and user_id in (%s, %s)", (team.org, team.admin.id, team.member.id))
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("member", "admin")


def test_guard_user_hands_over_in_one_deferred_transaction(db, team):
    """A caller must promote before demoting (once demoted they may change nothing), deferred or not."""
    with team.admin.sql.transaction() as conn:
        conn.execute("set constraints all deferred")
        conn.execute("select public.change_member_role(%s, %s, 'admin')", (team.org, team.member.id))
        conn.execute("select public.change_member_role(%s, %s, 'viewer')", (team.org, team.admin.id))
    assert (role_of(db, team.org, team.admin), role_of(db, team.org, team.member)) == ("viewer", "admin")


def test_guard_deferred_still_checks_at_commit(db, team):
    with pytest.raises(psycopg.Error) as info:
        with team.admin.sql.transaction() as conn:
            conn.execute("set constraints all deferred")
            conn.execute("select public.change_member_role(%s, %s, 'viewer')", (team.org, team.admin.id))
            conn.execute("select public.leave_organization(%s)", (team.org,))
    assert_keeps_admin(info.value, team.org)
    assert role_of(db, team.org, team.admin) == "admin"


def test_guard_holds_against_two_admins_demoting_each_other_concurrently(db, team):
    add(team.service, team.org, team.outsider, "admin")
    first, second = team.admin, team.outsider
    outcome: dict[str, BaseException | None] = {}

    def demote_first_as_second():
        try:
            rpc(second, "change_member_role", organization_id=team.org, user_id=first.id, role="member")
            outcome["second"] = None
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["second"] = exc

    with first.sql.transaction() as conn:
        conn.execute("select public.change_member_role(%s, %s, 'member')", (team.org, second.id))
        worker = threading.Thread(target=demote_first_as_second)
        worker.start()
        worker.join(timeout=1.0)  # without a lock it finishes here; with one it waits for our commit
    worker.join(timeout=10.0)
    assert not worker.is_alive()

    assert admin_count(db, team.org) >= 1
    assert isinstance(outcome["second"], psycopg.Error) and outcome["second"].sqlstate == "23514"


# --- invite_member --------------------------------------------------------------------------


def test_invite_member_returns_a_token_once_and_stores_only_its_hash(db, team):
    created = invite(team.admin, team.org, "New.Person@Example.test", role="viewer")
    token = created["token"]
    assert TOKEN.fullmatch(token)

    stored = invitation(db, created["invitation_id"])
    assert bytes(stored["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert (stored["email"], stored["role"], str(stored["invited_by"])) == ("new.person@example.test", "viewer",
                                                                           team.admin.id)
    assert stored["expires_at"] == created["expires_at"]
    row_text = one(db, "select row_to_json(i)::text from private.invitations i where id = %s",
                   (created["invitation_id"],))
    assert token not in row_text and token.upper() not in row_text
    assert all(token not in str(value) for value in stored.values())


def test_invite_member_is_audited_without_the_token(db, team):
    created = invite(team.admin, team.org, "audited@example.test", role="viewer")
    token_hash = bytes(invitation(db, created["invitation_id"])["token_hash"]).hex()
    with db.cursor(row_factory=dict_row) as cur:
        entries = cur.execute("select * from public.audit_logs where action = 'invite' and entity_id = %s",
                              (str(created["invitation_id"]),)).fetchall()
    assert [(str(e["organization_id"]), str(e["user_id"])) for e in entries] == [(team.org, team.admin.id)]
    everything = one(db, "select coalesce(string_agg(row_to_json(a)::text, ' '), '') from public.audit_logs a")
    assert created["token"] not in everything and token_hash not in everything


def test_invite_member_tokens_are_distinct(db, team):
    tokens = {invite(team.admin, team.org, f"p{i}@example.test")["token"] for i in range(5)}
    assert len(tokens) == 5


def test_invite_member_defaults_to_member_for_seven_days(db, team):
    created = invite(team.admin, team.org, "default@example.test")
    assert invitation(db, created["invitation_id"])["role"] == "member"
    gap = one(db, "select abs(extract(epoch from %s - (now() + interval '7 days')))", (created["expires_at"],))
    assert gap < 1


@pytest.mark.parametrize(("valid_for", "seconds"), [
    (timedelta(seconds=1), 1), ("1 hour", 3600), (timedelta(days=30), 30 * 86400), ("30 days", 30 * 86400),
])
def test_invite_member_valid_for_within_bounds(db, team, valid_for, seconds):
    created = invite(team.admin, team.org, "bounds@example.test", valid_for=valid_for)
    lifetime = one(db, "select extract(epoch from expires_at - created_at) from private.invitations where id = %s",
                   (created["invitation_id"],))
    assert lifetime == seconds


@pytest.mark.parametrize("valid_for", [timedelta(0), timedelta(days=-1), "-1 second", "30 days 1 second",
                                       "31 days", "1 year", None])
def test_invite_member_bad_valid_for_is_22023(db, team, valid_for):
    err = refused(team.admin, "invite_member", "22023", organization_id=team.org, email="v@example.test",
                  valid_for=valid_for)
    assert message(err).startswith("valid_for must be between 0 and 30 days")
    assert one(db, "select count(*) from private.invitations") == 0


@pytest.mark.parametrize("email", ["", "   ", "no-at-sign", "two@at@signs", "sp ace@example.test", "@example.test",
                                   "someone@", None])
def test_invite_member_bad_email_is_22023(db, team, email):
    err = refused(team.admin, "invite_member", "22023", organization_id=team.org, email=email)
    assert message(err).startswith("invalid email address")
    assert one(db, "select count(*) from private.invitations") == 0


def test_invite_member_bad_role_is_22P02(db, team):
    refused(team.admin, "invite_member", "22P02", organization_id=team.org, email="r@example.test", role="owner")


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
def test_invite_member_existing_member_is_23505(db, team, who):
    address = f"  {getattr(team, who).email.upper()} "
    err = refused(team.admin, "invite_member", "23505", organization_id=team.org, email=address)
    assert message(err) == f"{getattr(team, who).email.lower()} is already a member of this organization"
    assert one(db, "select count(*) from private.invitations") == 0


def test_invite_member_reinviting_revokes_the_pending_one(db, team):
    first = invite(team.admin, team.org, "again@example.test", role="viewer")
    second = invite(team.admin, team.org, "AGAIN@example.test", role="admin")

    assert invitation(db, first["invitation_id"])["revoked_at"] is not None
    assert invitation(db, second["invitation_id"])["revoked_at"] is None
    listed = {r["id"]: (r["status"], r["role"]) for r in rpc(team.admin, "list_invitations", organization_id=team.org)}
    assert listed == {first["invitation_id"]: ("revoked", "viewer"), second["invitation_id"]: ("pending", "admin")}


def test_invite_member_reinviting_after_expiry_replaces_it(db, team):
    first = invite(team.admin, team.org, "late@example.test")
    expire(db, first["invitation_id"])
    invite(team.admin, team.org, "late@example.test")
    assert invitation(db, first["invitation_id"])["revoked_at"] is not None


def test_invite_member_same_email_in_two_orgs_is_independent(db, team, make_user):
    other_admin = make_user()
    other = new_org(other_admin)
    mine = invite(team.admin, team.org, "shared@example.test")
    invite(other_admin, other, "shared@example.test")
    assert invitation(db, mine["invitation_id"])["revoked_at"] is None


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_invite_member_non_admin_is_42501(db, team, who):
    err = refused(getattr(team, who), "invite_member", "42501", organization_id=team.org, email="x@example.test")
    assert message(err) == f"your role in this organization ({who}) cannot invite members"
    assert one(db, "select count(*) from private.invitations") == 0


def test_invite_member_outsider_and_unknown_org_are_PT404(db, team):
    for org in (team.org, str(uuid.uuid4())):
        err = refused(team.outsider, "invite_member", "PT404", organization_id=org, email="x@example.test")
        assert message(err) == f"organization {org} not found"
    assert one(db, "select count(*) from private.invitations") == 0


def test_invite_member_anon_and_service_role_refused(db, team, anon, service_role):
    refused(anon, "invite_member", "42501", organization_id=team.org, email="x@example.test")
    err = refused(service_role, "invite_member", "42501", organization_id=team.org, email="x@example.test")
    assert message(err) == "sign in to invite members"


# --- list_invitations -----------------------------------------------------------------------


def test_list_invitations_statuses(db, team, make_user):
    joiner = make_user()
    invite(team.admin, team.org, "pending@example.test")
    revoked = invite(team.admin, team.org, "revoked@example.test")
    rpc(team.admin, "revoke_invitation", invitation_id=revoked["invitation_id"])
    expired = invite(team.admin, team.org, "expired@example.test")
    expire(db, expired["invitation_id"])
    accepted = invite(team.admin, team.org, joiner.email)
    rpc(joiner, "accept_invitation", token=accepted["token"])

    assert statuses(team.admin, team.org) == {
        "pending@example.test": "pending",
        "revoked@example.test": "revoked",
        "expired@example.test": "expired",
        joiner.email.lower(): "accepted",
    }


def test_list_invitations_never_returns_token_or_hash(db, team):
    created = invite(team.admin, team.org, "secret@example.test")
    rows = rpc(team.admin, "list_invitations", organization_id=team.org)
    assert set(rows[0]) == {"id", "email", "role", "invited_by", "created_at", "expires_at", "status"}
    token_hash = bytes(invitation(db, created["invitation_id"])["token_hash"])
    for value in rows[0].values():
        assert created["token"] not in str(value) and token_hash.hex() not in str(value)


def test_list_invitations_only_this_org_newest_first(db, team, make_user):
    other_admin = make_user()
    invite(other_admin, new_org(other_admin), "elsewhere@example.test")
    older = invite(team.admin, team.org, "older@example.test")
    db.execute("update private.invitations set created_at = created_at - interval '1 hour' where id = %s",
               (older["invitation_id"],))
    newer = invite(team.admin, team.org, "newer@example.test")
    ids = [r["id"] for r in rpc(team.admin, "list_invitations", organization_id=team.org)]
    assert ids == [newer["invitation_id"], older["invitation_id"]]


def test_list_invitations_empty(team):
    assert rpc(team.admin, "list_invitations", organization_id=team.org) == []


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_list_invitations_non_admin_is_42501(team, who):
    invite(team.admin, team.org, "x@example.test")
    refused(getattr(team, who), "list_invitations", "42501", organization_id=team.org)


def test_list_invitations_outsider_and_unknown_org_are_PT404(team, anon):
    invite(team.admin, team.org, "x@example.test")
    for org in (team.org, str(uuid.uuid4())):
        refused(team.outsider, "list_invitations", "PT404", organization_id=org)
    refused(anon, "list_invitations", "42501", organization_id=team.org)


# --- revoke_invitation ----------------------------------------------------------------------


def test_revoke_invitation(db, team, make_user):
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email)
    rpc(team.admin, "revoke_invitation", invitation_id=created["invitation_id"])
    assert invitation(db, created["invitation_id"])["revoked_at"] is not None
    refused(invitee, "accept_invitation", "PT404", token=created["token"])
    assert role_of(db, team.org, invitee) is None


def test_revoke_invitation_twice_keeps_the_first_time(db, team):
    created = invite(team.admin, team.org, "twice@example.test")
    rpc(team.admin, "revoke_invitation", invitation_id=created["invitation_id"])
    first = invitation(db, created["invitation_id"])["revoked_at"]
    rpc(team.admin, "revoke_invitation", invitation_id=created["invitation_id"])
    assert invitation(db, created["invitation_id"])["revoked_at"] == first


def test_revoke_invitation_unknown_id_is_PT404(team):
    ghost = str(uuid.uuid4())
    err = refused(team.admin, "revoke_invitation", "PT404", invitation_id=ghost)
    assert message(err) == f"invitation {ghost} not found"


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_revoke_invitation_non_admin_is_42501(db, team, who):
    created = invite(team.admin, team.org, "keep@example.test")
    refused(getattr(team, who), "revoke_invitation", "42501", invitation_id=created["invitation_id"])
    assert invitation(db, created["invitation_id"])["revoked_at"] is None


def test_revoke_invitation_outsider_is_PT404(db, team, make_user):
    rival = make_user()
    new_org(rival)
    created = invite(team.admin, team.org, "keep@example.test")
    for outsider in (team.outsider, rival):
        refused(outsider, "revoke_invitation", "PT404", invitation_id=created["invitation_id"])
    assert invitation(db, created["invitation_id"])["revoked_at"] is None


def test_revoke_invitation_outsider_cannot_tell_existing_from_unknown(team):
    created = invite(team.admin, team.org, "keep@example.test")
    err = refused(team.outsider, "revoke_invitation", "PT404", invitation_id=created["invitation_id"])
    assert message(err) == f"invitation {created['invitation_id']} not found"
    assert team.org not in str(err)


def test_revoke_invitation_already_accepted_is_P0001(db, team, make_user):
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email)
    rpc(invitee, "accept_invitation", token=created["token"])
    err = refused(team.admin, "revoke_invitation", "P0001", invitation_id=created["invitation_id"])
    assert message(err) == "the invitation was already accepted"
    assert invitation(db, created["invitation_id"])["revoked_at"] is None


def test_revoke_invitation_anon_and_service_role_refused(team, anon, service_role):
    created = invite(team.admin, team.org, "keep@example.test")
    refused(anon, "revoke_invitation", "42501", invitation_id=created["invitation_id"])
    refused(service_role, "revoke_invitation", "42501", invitation_id=created["invitation_id"])


# --- accept_invitation ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_accept_invitation_joins_with_the_invited_role(db, team, make_user, role):
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email.upper(), role=role)

    joined = rpc_one(invitee, "accept_invitation", token=created["token"])

    assert (str(joined["organization_id"]), str(joined["user_id"]), joined["role"]) == (team.org, invitee.id, role)
    assert role_of(db, team.org, invitee) == role
    stored = invitation(db, created["invitation_id"])
    assert stored["accepted_at"] is not None and str(stored["accepted_by"]) == invitee.id
    assert [r["role"] for r in rpc(invitee, "my_organizations")] == [role]


def test_accept_invitation_email_match_is_case_insensitive(db, team, make_user):
    invitee = make_user(email=f"Mixed.Case-{uuid.uuid4().hex[:6]}@Example.test")
    created = invite(team.admin, team.org, invitee.email.lower())
    rpc(invitee, "accept_invitation", token=created["token"])
    assert role_of(db, team.org, invitee) == "member"


@pytest.mark.parametrize("token", ["0" * 64, "", "not-a-token", None])
def test_accept_invitation_wrong_token_is_PT404(db, team, make_user, token):
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email)
    err = refused(invitee, "accept_invitation", "PT404", token=token)
    assert message(err) == "invitation not found"
    assert invitation(db, created["invitation_id"])["accepted_at"] is None


def test_accept_invitation_token_is_case_sensitive(team, make_user):
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email)
    refused(invitee, "accept_invitation", "PT404", token=created["token"].upper())


def test_accept_invitation_revoked_is_PT404(db, team, make_user):
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email)
    rpc(team.admin, "revoke_invitation", invitation_id=created["invitation_id"])
    err = refused(invitee, "accept_invitation", "PT404", token=created["token"])
    assert err.diag.message_hint == "it may have been revoked, or replaced by a newer invitation"
    assert role_of(db, team.org, invitee) is None


def test_accept_invitation_replaced_token_is_PT404_and_new_one_works(db, team, make_user):
    invitee = make_user()
    old = invite(team.admin, team.org, invitee.email, role="viewer")
    new = invite(team.admin, team.org, invitee.email, role="admin")
    refused(invitee, "accept_invitation", "PT404", token=old["token"])
    rpc(invitee, "accept_invitation", token=new["token"])
    assert role_of(db, team.org, invitee) == "admin"


def test_accept_invitation_expired_is_P0001(db, team, make_user):
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email)
    expire(db, created["invitation_id"])
    err = refused(invitee, "accept_invitation", "P0001", token=created["token"])
    assert message(err).startswith("this invitation expired at ")
    assert err.diag.message_hint == "ask an admin of the organization for a new one"
    assert role_of(db, team.org, invitee) is None


def test_accept_invitation_used_twice_is_P0001(db, team, make_user):
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email)
    rpc(invitee, "accept_invitation", token=created["token"])
    err = refused(invitee, "accept_invitation", "P0001", token=created["token"])
    assert message(err) == "this invitation was already used"
    # Still refused after leaving: a used token never works again.
    rpc(invitee, "leave_organization", organization_id=team.org)
    refused(invitee, "accept_invitation", "P0001", token=created["token"])
    assert role_of(db, team.org, invitee) is None


def test_accept_invitation_for_another_email_is_42501(db, team, make_user):
    invitee, someone_else = make_user(), make_user()
    created = invite(team.admin, team.org, invitee.email)
    err = refused(someone_else, "accept_invitation", "42501", token=created["token"])
    assert message(err) == "this invitation is for another email address"
    assert role_of(db, team.org, someone_else) is None
    assert invitation(db, created["invitation_id"])["accepted_at"] is None


def test_accept_invitation_without_profile_is_42501(db, team, make_user):
    phone_user = without_profile(db, make_user)
    created = invite(team.admin, team.org, "phone@example.test")
    refused(phone_user, "accept_invitation", "42501", token=created["token"])


def test_accept_invitation_after_joining_otherwise_is_revoked(db, team, make_user):
    """Hole 2c: joining by another path revokes the invitee's pending invitations."""
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email, role="admin")
    add(team.service, team.org, invitee, "viewer")
    refused(invitee, "accept_invitation", "PT404", token=created["token"])
    assert role_of(db, team.org, invitee) == "viewer"
    assert invitation(db, created["invitation_id"])["accepted_at"] is None
    assert invitation(db, created["invitation_id"])["revoked_at"] is not None


def test_accept_invitation_anon_and_service_role_refused(db, team, make_user, anon, service_role):
    invitee = make_user()
    created = invite(team.admin, team.org, invitee.email)
    err = refused(anon, "accept_invitation", "42501", token=created["token"])
    assert "permission denied for function accept_invitation" in message(err)
    err = refused(service_role, "accept_invitation", "42501", token=created["token"])
    assert message(err) == "sign in to accept an invitation"
    assert invitation(db, created["invitation_id"])["accepted_at"] is None


# --- stale invitations (hole 2) -------------------------------------------------------------


def pending(db, org: str) -> set[str]:
    return {r[0] for r in db.execute("select email from private.invitations where organization_id = %s "
                                     "and accepted_at is null and revoked_at is null", (org,))}


def revocations(db, invitation_id) -> list[dict]:
    with db.cursor(row_factory=dict_row) as cur:
        return cur.execute("select user_id::text, new_values from public.audit_logs where action = 'update' "
                           "and entity_type = 'invitations' and entity_id = %s", (str(invitation_id),)).fetchall()


@pytest.mark.parametrize("fate", ["removed", "demoted", "deleted"])
def test_an_invitation_dies_with_its_inviters_authority(db, team, make_user, fate):
    """Hole 2a: an admin invites an address as admin, then is removed or demoted (or
    their account goes): the invitation no longer makes an admin."""
    second = make_user()
    add(team.service, team.org, second, "admin")
    invitee = make_user()
    created = invite(second, team.org, invitee.email, role="admin")
    if fate == "removed":
        rpc_one(team.admin, "remove_member", organization_id=team.org, user_id=second.id)
    elif fate == "demoted":
        rpc_one(team.admin, "change_member_role", organization_id=team.org, user_id=second.id, role="viewer")
    else:
        db.execute("delete from auth.users where id = %s", (second.id,))
    if fate == "deleted":
        # The account's deletion clears invited_by before its memberships go: the check
        # at acceptance is what refuses it.
        err = refused(invitee, "accept_invitation", "P0001", token=created["token"])
        assert message(err).startswith("this invitation is no longer valid")
    else:
        refused(invitee, "accept_invitation", "PT404", token=created["token"])
        [entry] = revocations(db, created["invitation_id"])
        assert entry["new_values"]["status"] == "revoked"
        assert entry["new_values"]["reason"] == "its inviter is no longer an admin"
    assert role_of(db, team.org, invitee) is None


def test_accepting_rechecks_the_inviter_even_if_nothing_revoked_it(db, team, make_user):
    """Defence in depth: the check at acceptance does not rely on the revocation trigger."""
    second = make_user()
    add(team.service, team.org, second, "admin")
    invitee = make_user()
    created = invite(second, team.org, invitee.email, role="admin")
    db.execute("alter table public.organization_members disable trigger organization_members_revoke_stale_invitations")
    try:
        db.execute("update public.organization_members set role = 'member' where organization_id = %s and user_id = %s",
                   (team.org, second.id))
    finally:
        db.execute("alter table public.organization_members enable trigger organization_members_revoke_stale_invitations")
    err = refused(invitee, "accept_invitation", "P0001", token=created["token"])
    assert message(err).startswith("this invitation is no longer valid")
    assert role_of(db, team.org, invitee) is None


def test_a_viewer_who_leaves_cannot_come_back_as_admin_with_an_old_invitation(db, team, make_user):
    """Hole 2b: a pending admin invitation held by someone who then joined (as viewer)
    and left is revoked at each membership change."""
    holder = make_user()
    created = invite(team.admin, team.org, holder.email, role="admin")
    add(team.service, team.org, holder, "viewer")
    rpc_one(holder, "leave_organization", organization_id=team.org)
    refused(holder, "accept_invitation", "PT404", token=created["token"])
    assert role_of(db, team.org, holder) is None


@pytest.mark.parametrize("change", ["added", "role changed", "removed"])
def test_membership_changes_revoke_the_users_pending_invitations(db, team, make_user, change):
    """Hole 2c: pending invitations do not stay pending after the invitee is added,
    has their role changed or is removed; each revocation is audited."""
    if change == "added":
        user = make_user()
        created = invite(team.admin, team.org, user.email, role="admin")
        add(team.service, team.org, user, "viewer")
        reason = "the invitee joined"
    else:
        user = team.viewer
        # An invitation addressed to a member cannot be made through the RPC: plant one.
        created = {"invitation_id": one(db, (
            "insert into private.invitations (organization_id, email, role, token_hash, invited_by, expires_at) "
            "values (%s, lower(%s), 'admin', %s, %s, now() + interval '1 day') returning id"),
            (team.org, user.email, hashlib.sha256(uuid.uuid4().bytes).digest(), team.admin.id))}
        if change == "role changed":
            rpc_one(team.admin, "change_member_role", organization_id=team.org, user_id=user.id, role="member")
            reason = "the invitee's role changed"
        else:
            rpc_one(team.admin, "remove_member", organization_id=team.org, user_id=user.id)
            reason = "the invitee left or was removed"
    assert user.email.lower() not in pending(db, team.org)
    [entry] = revocations(db, created["invitation_id"])
    assert entry["new_values"]["reason"] == reason
    assert entry["user_id"] == (None if change == "added" else team.admin.id)


def test_revoking_and_replacing_invitations_is_audited(db, team):
    first = invite(team.admin, team.org, "again@example.test")
    second = invite(team.admin, team.org, "again@example.test")
    assert [e["new_values"]["reason"] for e in revocations(db, first["invitation_id"])] == ["replaced by a newer invitation"]
    rpc(team.admin, "revoke_invitation", invitation_id=second["invitation_id"])
    [entry] = revocations(db, second["invitation_id"])
    assert entry["user_id"] == team.admin.id and entry["new_values"]["reason"] == "revoked by an admin"


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


# --- privileges on every function in public, by construction ----------------------------------


PUBLIC_FUNCTIONS = """
    select p.oid, p.oid::regprocedure::text as signature, p.proname, p.prosecdef, p.proconfig,
           coalesce(array(select a.name from unnest(p.proargnames, p.proargmodes) as a(name, mode)
                          where a.mode is null or a.mode in ('i', 'b', 'v')), p.proargnames) as arg_names,
           array(select format_type(t, null) from unnest(p.proargtypes) as t) as arg_types
    from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
    order by p.proname
"""


def public_functions(conn) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(PUBLIC_FUNCTIONS).fetchall()
    assert rows, "no functions in public?"
    return rows


def test_no_public_function_is_executable_by_anon_or_public(db):
    for fn in public_functions(db):
        for grantee in ("anon", "public"):
            assert not one(db, "select has_function_privilege(%s, %s, 'execute')", (grantee, fn["oid"])), (
                f"{grantee} may execute {fn['signature']}: revoke execute ... from public, anon")


TENANCY_RPCS = (
    "create_organization(text,text)", "my_organizations()", "has_org_access(uuid)",
    "has_org_role(uuid,user_role[])", "add_member(uuid,uuid,text,user_role)",
    "change_member_role(uuid,uuid,user_role)", "remove_member(uuid,uuid)", "leave_organization(uuid)",
    "invite_member(uuid,text,user_role,interval)", "list_invitations(uuid)", "revoke_invitation(uuid)",
    "accept_invitation(text)",
)


@pytest.mark.parametrize("signature", TENANCY_RPCS)
def test_tenancy_rpcs_are_executable_by_authenticated(db, signature):
    assert one(db, "select has_function_privilege('authenticated', %s::regprocedure, 'execute')",
               (f"public.{signature}",))


def test_security_definer_functions_pin_an_empty_search_path(db):
    rows = db.execute(
        "select p.oid::regprocedure::text, p.proconfig from pg_proc p "
        "where p.prosecdef and p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)").fetchall()
    assert rows
    for signature, config in rows:
        assert 'search_path=""' in (config or []), f"{signature} is security definer without search_path = ''"


def test_anon_calling_any_public_function_in_sql_is_refused(db, anon):
    for fn in public_functions(db):
        nulls = sql.SQL(", ").join(sql.SQL("null::{}").format(sql.SQL(t)) for t in fn["arg_types"])
        query = sql.SQL("select public.{}({})").format(sql.Identifier(fn["proname"]), nulls)
        with pytest.raises(psycopg.Error) as info:
            anon.sql.execute(query)
        assert info.value.sqlstate == "42501", f"{fn['signature']}: {info.value}"
        assert "permission denied for function" in message(info.value)


# --- through the REST API -------------------------------------------------------------------


def post_rpc(rest, actor, fn: str, **args) -> httpx.Response:
    return httpx.post(f"{rest.url}/rest/v1/rpc/{fn}", headers=actor.headers, json=args)


def api_error(call) -> APIError:
    with pytest.raises(APIError) as info:
        call.execute()
    return info.value


def rest_org(user) -> dict:
    return user.client.rpc("create_organization", {"name": "Acme", "slug": unique_slug("rest")}).execute().data


def test_rest_create_organization(rest, rest_db, make_user):
    alice = make_user()
    slug = unique_slug("rest")
    org = alice.client.rpc("create_organization", {"name": "Acme REST", "slug": slug}).execute().data

    assert (org["name"], org["slug"]) == ("Acme REST", slug)
    mine = alice.client.rpc("my_organizations", {}).execute().data
    assert [(o["id"], o["role"]) for o in mine] == [(org["id"], "admin")]
    subscription = alice.client.table("subscriptions").select("status").eq("organization_id", org["id"]).execute()
    assert subscription.data == [{"status": "trialing"}]
    assert alice.client.rpc("has_org_role", {"organization_id": org["id"], "roles": ["admin"]}).execute().data is True


def test_rest_create_organization_taken_slug_is_409(rest, rest_db, make_user):
    alice, bob = make_user(), make_user()
    slug = rest_org(alice)["slug"]
    before = tenancy_counts(rest_db)

    response = post_rpc(rest, bob, "create_organization", name="Other", slug=slug)

    assert response.status_code == 409
    assert response.json()["code"] == "23505"
    assert response.json()["message"] == f'the slug "{slug}" is taken'
    assert tenancy_counts(rest_db) == before
    err = api_error(bob.client.rpc("create_organization", {"name": "Other", "slug": slug}))
    assert err.code == "23505" and slug in err.message


@pytest.mark.parametrize(("args", "code"), [
    ({"name": "Acme", "slug": "Bad Slug"}, "23514"),
    ({"name": " ", "slug": "fine-slug-x"}, "23514"),
    ({"name": "x" * 101, "slug": "fine-slug-y"}, "23514"),
    ({"name": "Acme", "slug": None}, "23502"),
])
def test_rest_create_organization_bad_input_is_400(rest, make_user, args, code):
    response = post_rpc(rest, make_user(), "create_organization", **args)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_rest_create_organization_anon_401_service_role_403(rest, anon, service_role):
    response = post_rpc(rest, anon, "create_organization", name="Acme", slug=unique_slug("rest"))
    assert response.status_code == 401
    assert response.json()["code"] == "42501"
    response = post_rpc(rest, service_role, "create_organization", name="Acme", slug=unique_slug("rest"))
    assert response.status_code == 403
    assert response.json()["message"] == "sign in to create an organization"


def test_rest_add_member(rest, rest_db, make_user, service_role):
    admin, member, newcomer, outsider = make_user(), make_user(), make_user(), make_user()
    org = rest_org(admin)["id"]

    added = post_rpc(rest, service_role, "add_member", organization_id=org, email=member.email.upper())
    assert (added.json()["user_id"], added.json()["role"]) == (member.id, "member")

    statuses_by_case = {
        "already a member": (post_rpc(rest, service_role, "add_member", organization_id=org, user_id=member.id), 409),
        "bad role": (post_rpc(rest, service_role, "add_member", organization_id=org, user_id=newcomer.id, role="owner"), 400),
        "neither id nor email": (post_rpc(rest, service_role, "add_member", organization_id=org), 400),
        "unknown user": (post_rpc(rest, service_role, "add_member", organization_id=org, user_id=str(uuid.uuid4())), 404),
        "admin, without consent": (post_rpc(rest, admin, "add_member", organization_id=org, user_id=newcomer.id), 403),
        "admin, by email": (post_rpc(rest, admin, "add_member", organization_id=org, email=newcomer.email), 403),
        "non-admin": (post_rpc(rest, member, "add_member", organization_id=org, user_id=newcomer.id), 403),
        "outsider": (post_rpc(rest, outsider, "add_member", organization_id=org, user_id=outsider.id), 404),
        "unknown org": (post_rpc(rest, service_role, "add_member", organization_id=str(uuid.uuid4()),
                                 user_id=newcomer.id), 404),
    }
    for case, (response, status) in statuses_by_case.items():
        assert response.status_code == status, (case, response.text)
    consent = statuses_by_case["admin, without consent"][0].json()
    assert "needs their consent" in consent["message"] and "invite_member" in consent["hint"]
    assert one(rest_db, "select count(*) from public.organization_members where organization_id = %s", (org,)) == 2


def test_rest_outsider_and_unknown_org_look_alike(rest, make_user):
    admin, outsider = make_user(), make_user()
    org = rest_org(admin)["id"]
    unknown = str(uuid.uuid4())
    bodies = {o: post_rpc(rest, outsider, "add_member", organization_id=o, user_id=outsider.id).json()
              for o in (org, unknown)}
    assert {o: (b["code"], b["message"].replace(o, "<org>"), b["hint"]) for o, b in bodies.items()} == {
        o: ("PT404", "organization <org> not found", NOT_A_MEMBER_HINT) for o in (org, unknown)}


def test_rest_change_role_and_remove(rest, rest_db, make_user, service_role):
    admin, member = make_user(), make_user()
    org = rest_org(admin)["id"]
    assert post_rpc(rest, service_role, "add_member", organization_id=org, user_id=member.id).status_code == 200

    demote_self = {"organization_id": org, "user_id": admin.id, "role": "viewer"}
    err = api_error(admin.client.rpc("change_member_role", demote_self))
    assert err.code == "23514" and err.hint == KEEP_ADMIN_HINT
    assert post_rpc(rest, member, "change_member_role", organization_id=org, user_id=member.id,
                    role="admin").status_code == 403
    assert post_rpc(rest, admin, "remove_member", organization_id=org, user_id=str(uuid.uuid4())).status_code == 404
    assert post_rpc(rest, admin, "leave_organization", organization_id=org).status_code == 400

    changed = admin.client.rpc("change_member_role", {"organization_id": org, "user_id": member.id, "role": "viewer"})
    assert changed.execute().data["role"] == "viewer"
    left = member.client.rpc("leave_organization", {"organization_id": org}).execute().data
    assert left["user_id"] == member.id
    assert post_rpc(rest, member, "leave_organization", organization_id=org).status_code == 404
    assert role_of(rest_db, org, admin) == "admin"


def test_rest_table_writes_keep_the_last_admin(rest, rest_db, make_user):
    admin = make_user()
    org = rest_org(admin)["id"]
    url = f"{rest.url}/rest/v1/organization_members"
    params = {"organization_id": f"eq.{org}", "user_id": f"eq.{admin.id}"}

    for response in (httpx.patch(url, params=params, headers=admin.headers, json={"role": "member"}),
                     httpx.delete(url, params=params, headers=admin.headers)):
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "23514"
        assert response.json()["hint"] == KEEP_ADMIN_HINT
    assert role_of(rest_db, org, admin) == "admin"

    slug = one(rest_db, "select slug from public.organizations where id = %s", (org,))
    deleted = post_rpc(rest, admin, "delete_organization", organization_id=org, confirm_slug=slug)
    assert deleted.status_code == 200, deleted.text
    assert one(rest_db, "select count(*) from public.organization_members where organization_id = %s", (org,)) == 0


def test_rest_invitations(rest, rest_db, make_user):
    admin, invitee, stranger = make_user(), make_user(), make_user()
    org = rest_org(admin)["id"]

    invited = admin.client.rpc("invite_member", {"organization_id": org, "email": invitee.email, "role": "viewer"})
    [created] = invited.execute().data  # a table function: one row
    assert TOKEN.fullmatch(created["token"])
    listed = admin.client.rpc("list_invitations", {"organization_id": org}).execute().data
    assert [i["status"] for i in listed] == ["pending"]
    assert created["token"] not in str(listed) and "token" not in listed[0]

    assert post_rpc(rest, invitee, "list_invitations", organization_id=org).status_code == 404
    assert post_rpc(rest, admin, "invite_member", organization_id=org, email="bad").status_code == 400
    assert post_rpc(rest, admin, "invite_member", organization_id=org, email=admin.email).status_code == 409
    assert post_rpc(rest, invitee, "accept_invitation", token="0" * 64).status_code == 404
    assert post_rpc(rest, stranger, "accept_invitation", token=created["token"]).status_code == 403

    joined = invitee.client.rpc("accept_invitation", {"token": created["token"]}).execute().data
    assert (joined["organization_id"], joined["role"]) == (org, "viewer")
    err = api_error(invitee.client.rpc("accept_invitation", {"token": created["token"]}))
    assert err.code == "P0001"
    assert post_rpc(rest, admin, "revoke_invitation", invitation_id=created["invitation_id"]).status_code == 400


def test_rest_expired_and_revoked_invitations(rest, rest_db, make_user, anon):
    admin, late, revoked = make_user(), make_user(), make_user()
    org = rest_org(admin)["id"]
    expired = post_rpc(rest, admin, "invite_member", organization_id=org, email=late.email).json()[0]
    rest_db.execute("update private.invitations set expires_at = now() - interval '1 second' where id = %s",
                    (expired["invitation_id"],))
    response = post_rpc(rest, late, "accept_invitation", token=expired["token"])
    assert response.status_code == 400 and response.json()["message"].startswith("this invitation expired at ")

    pending = post_rpc(rest, admin, "invite_member", organization_id=org, email=revoked.email).json()[0]
    assert post_rpc(rest, admin, "revoke_invitation", invitation_id=pending["invitation_id"]).status_code in (200, 204)
    assert post_rpc(rest, revoked, "accept_invitation", token=pending["token"]).status_code == 404
    assert post_rpc(rest, anon, "accept_invitation", token=pending["token"]).status_code == 401


def test_rest_anon_is_401_on_every_public_function(rest, rest_db, anon):
    """PostgREST finds a function by its argument names; EXECUTE is checked before any value is read."""
    for fn in public_functions(rest_db):
        args = dict.fromkeys(fn["arg_names"] or [])
        response = post_rpc(rest, anon, fn["proname"], **args)
        assert response.status_code == 401, (fn["signature"], response.text)
        assert response.json()["code"] == "42501", fn["signature"]
