"""Deleting an organization is deliberate (hole 6): delete_organization and its audit trail."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from helpers import one
from helpers.rpcs import rpc_one, refused, message, slug_of


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
