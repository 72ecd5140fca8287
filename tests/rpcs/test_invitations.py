"""invite_member, list_invitations, revoke_invitation and accept_invitation."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from psycopg.rows import dict_row

from helpers import one
from helpers.rpcs import TOKEN, rpc, rpc_one, refused, message, new_org, add, role_of, invite, invitation, expire, statuses, without_profile


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
