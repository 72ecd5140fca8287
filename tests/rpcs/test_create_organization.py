"""create_organization: success, each refusal and each bad input."""

from __future__ import annotations

import pytest

from helpers import one
from helpers.rpcs import SLUG_RULE, unique_slug, rpc, rpc_one, refused, message, new_org, role_of, tenancy_counts, without_profile


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
