"""The schema's constraints: slugs, names, settings, uniqueness, references."""

from __future__ import annotations

import re
import uuid

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg import sql

from helpers import one
from helpers.schema import new_auth_user, new_org, add_member, new_subscription, new_audit, rejected_by, AUDIT_ACTIONS


# --- constraints ---------------------------------------------------------------------------

SLUG_RULE = re.compile(r"[a-z0-9][a-z0-9-]{1,46}[a-z0-9]")
INSERT_ORG = "insert into public.organizations (name, slug) values ('Acme', %s)"


@pytest.mark.parametrize(
    "slug",
    ["abc", "a-b", "acme-inc", "team-42", "0rg", "a--b", "a" * 48, "a" + "-" * 46 + "z"],
)
def test_slug_accepts(db, slug):
    assert not rejected_by(db, "organizations_slug_format", INSERT_ORG, (slug,))


@pytest.mark.parametrize(
    "slug",
    [
        "", "a", "ab",          # under 3 characters
        "a" * 49,               # over 48
        "Acme", "ACME",         # upper case
        "acme_inc",             # underscore
        "-acme", "acme-",       # leading / trailing dash
        "acme inc", "acme.io", "café", "acme\n", " acme",
    ],
)
def test_slug_rejects(db, slug):
    assert rejected_by(db, "organizations_slug_format", INSERT_ORG, (slug,))


SLUG_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"


@settings(
    max_examples=50, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(slug=st.one_of(
    st.text(st.sampled_from(SLUG_CHARS), max_size=52),
    st.text(st.sampled_from(SLUG_CHARS + "AZ_. é/\n\t"), max_size=52),
))
@example(slug="ab")
@example(slug="abc")
@example(slug="a" * 48)
@example(slug="a" * 49)
@example(slug="-" + "a" * 10)
def test_slug_check_accepts_exactly_the_rule(db, slug):
    """The database accepts exactly the strings the slug rule describes."""
    accepted = not rejected_by(db, "organizations_slug_format", INSERT_ORG, (slug,))
    assert accepted == (SLUG_RULE.fullmatch(slug) is not None)


def test_slug_is_unique(db):
    new_org(db, "acme")
    assert rejected_by(db, "organizations_slug_key", INSERT_ORG, ("acme",))


@pytest.mark.parametrize(
    ("name", "constraint"),
    [("", "organizations_name_not_blank"), ("   ", "organizations_name_not_blank"),
     ("\t\n", "organizations_name_not_blank"), ("x" * 101, "organizations_name_length")],
)
def test_organization_name_rejects(db, name, constraint):
    assert rejected_by(db, constraint, "insert into public.organizations (name, slug) values (%s, 'acme')", (name,))


@pytest.mark.parametrize("name", ["A", " Acme ", "x" * 100, "Ünïcode Org"])
def test_organization_name_accepts(db, name):
    new_org(db, name=name)


@pytest.mark.parametrize("settings_json", ["[]", '"text"', "1", "null", "true"])
def test_settings_must_be_a_json_object(db, settings_json):
    assert rejected_by(
        db, "organizations_settings_is_object",
        "insert into public.organizations (name, slug, settings) values ('Acme', 'acme', %s::jsonb)",
        (settings_json,),
    )


def test_settings_accepts_an_object_and_rejects_sql_null(db):
    org = str(one(
        db, "insert into public.organizations (name, slug, settings) "
        "values ('Acme', 'acme', '{\"theme\": \"dark\"}') returning id",
    ))
    assert one(db, "select settings from public.organizations where id = %s", (org,)) == {"theme": "dark"}
    with pytest.raises(psycopg.errors.NotNullViolation):
        db.execute("update public.organizations set settings = null where id = %s", (org,))


@pytest.mark.parametrize("action", AUDIT_ACTIONS)
def test_audit_action_accepts(db, action):
    new_audit(db, None, None, action)


@pytest.mark.parametrize("action", ["hack", "UPDATE", "Create", "", "soft-delete", "created"])
def test_audit_action_rejects(db, action):
    """The check casts to private.audit_action: the refusal names the enum and the value."""
    with pytest.raises(psycopg.errors.InvalidTextRepresentation) as refused, db.transaction(force_rollback=True):
        db.execute("insert into public.audit_logs (action, entity_type) values (%s, 'project')", (action,))
    assert f'invalid input value for enum private.audit_action: "{action}"' in str(refused.value)


def test_audit_actions_are_the_enum(db):
    """The enum the check casts to lists exactly the actions the audit trail writes."""
    labels = db.execute("select enum_range(null::private.audit_action)::text[]").fetchone()[0]
    assert tuple(labels) == AUDIT_ACTIONS


def test_profile_email_is_unique(db):
    new_auth_user(db, "one@example.test")
    two = new_auth_user(db, "two@example.test")
    assert rejected_by(
        db, "profiles_email_key",
        "update public.profiles set email = 'one@example.test' where id = %s", (two,),
    )


def test_membership_is_unique_per_organization_and_user(db):
    org, other_org = new_org(db), new_org(db)
    user = new_auth_user(db, "m@example.test")
    add_member(db, org, user)
    add_member(db, other_org, user)
    assert rejected_by(
        db, "organization_members_organization_id_user_id_key",
        "insert into public.organization_members (organization_id, user_id, role) values (%s, %s, 'admin')",
        (org, user),
    )


def test_one_subscription_per_organization(db):
    org = new_org(db)
    new_subscription(db, org)
    assert rejected_by(
        db, "subscriptions_organization_id_key",
        "insert into public.subscriptions (organization_id) values (%s)", (org,),
    )


def test_stripe_subscription_id_unique_when_present(db):
    new_subscription(db, new_org(db), "sub_1")
    new_subscription(db, new_org(db), None)
    new_subscription(db, new_org(db), None)  # many rows may have none yet
    assert rejected_by(
        db, "subscriptions_stripe_subscription_id_key",
        "insert into public.subscriptions (organization_id, stripe_subscription_id) values (%s, 'sub_1')",
        (new_org(db),),
    )


@pytest.mark.parametrize(
    ("table", "column"),
    [("organization_members", "organization_id"), ("organization_members", "user_id"),
     ("subscriptions", "organization_id"), ("projects", "organization_id"),
     ("projects", "deleted_by")],
)
def test_references_are_enforced(db, table, column):
    """A reference to a row that does not exist is refused."""
    org, user = new_org(db), new_auth_user(db, "r@example.test")
    values = {
        "organization_members": {"organization_id": org, "user_id": user},
        "subscriptions": {"organization_id": org},
        "projects": {"organization_id": org, "name": "P"},
    }[table]
    values[column] = str(uuid.uuid4())
    query = sql.SQL("insert into public.{} ({}) values ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(sql.Placeholder() * len(values)),
    )
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        db.execute(query, list(values.values()))


def test_profile_requires_an_auth_user(db):
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        db.execute("insert into public.profiles (id, email) values (gen_random_uuid(), 'ghost@example.test')")
