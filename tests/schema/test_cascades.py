"""What deleting an organization, an auth user or a profile takes with it."""

from __future__ import annotations

import uuid

from helpers.schema import count, new_auth_user, new_org, add_member, new_subscription, new_project, new_audit


# --- cascades ------------------------------------------------------------------------------


def test_deleting_an_organization_takes_its_rows_and_keeps_its_audit_log(db):
    org, other = new_org(db), new_org(db)
    user = new_auth_user(db, "c@example.test")
    for o in (org, other):
        add_member(db, o, user)
        new_subscription(db, o)
        new_project(db, o)
    audit = new_audit(db, org, user)

    db.execute("delete from public.organizations where id = %s", (org,))

    for table in ("organization_members", "subscriptions", "projects"):
        assert count(db, table, "organization_id = %s", (org,)) == 0, table
        assert count(db, table, "organization_id = %s", (other,)) == 1, table
    row = db.execute("select organization_id, user_id from public.audit_logs where id = %s", (audit,)).fetchone()
    assert row == (uuid.UUID(org), uuid.UUID(user))  # still attributable: no foreign key nulls it
    assert count(db, "profiles", "id = %s", (user,)) == 1


def test_deleting_an_auth_user_takes_profile_and_memberships(db):
    org = new_org(db)
    gone, stays = new_auth_user(db, "gone@example.test"), new_auth_user(db, "stays@example.test")
    add_member(db, org, gone)
    add_member(db, org, stays)

    db.execute("delete from auth.users where id = %s", (gone,))

    assert count(db, "profiles", "id = %s", (gone,)) == 0
    assert count(db, "organization_members", "user_id = %s", (gone,)) == 0
    assert count(db, "organization_members", "user_id = %s", (stays,)) == 1
    assert count(db, "organizations", "id = %s", (org,)) == 1


def test_deleting_a_profile_nulls_its_traces_but_not_its_audit_entries(db):
    org = new_org(db)
    user = new_auth_user(db, "trace@example.test")
    project = new_project(db, org, deleted_by=user)
    audit = new_audit(db, org, user, "soft_delete")

    db.execute("delete from public.profiles where id = %s", (user,))

    deleted_at, deleted_by = db.execute(
        "select deleted_at, deleted_by from public.projects where id = %s", (project,)
    ).fetchone()
    assert deleted_by is None and deleted_at is not None  # still in the trash
    assert db.execute("select organization_id, user_id from public.audit_logs where id = %s", (audit,)).fetchone() == (
        uuid.UUID(org), uuid.UUID(user),
    )  # an audit entry outlives the user it names
