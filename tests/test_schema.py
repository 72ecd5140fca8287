"""The versioned schema (sql/migrations) and the behaviour the database maintains
(sql/functions): columns, constraints, indexes, cascades, profile sync,
updated_at, RLS closed by default, and privileges on trigger functions.

Every test runs on its own clone of the migrated template (`db`), as a superuser
unless it acts as an API caller (`make_user().sql`, `anon.sql`, `service_role.sql`).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "sql" / "migrations"

TABLES = ("profiles", "organizations", "organization_members", "subscriptions", "projects", "audit_logs")
TOUCHED_TABLES = ("profiles", "organizations", "subscriptions", "projects")
AUDIT_ACTIONS = ("create", "update", "delete", "soft_delete", "restore", "purge", "login", "logout", "invite", "remove")
LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)


# --- helpers ---------------------------------------------------------------------------


def one(conn, query, params=None):
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def count(conn, table: str, where: str = "true", params=None) -> int:
    return one(conn, sql.SQL("select count(*) from public.{} where " + where).format(sql.Identifier(table)), params)


def new_auth_user(db, email: str | None = None, **meta) -> str:
    return str(one(
        db,
        "insert into auth.users (id, aud, role, email, raw_user_meta_data) "
        "values (gen_random_uuid(), 'authenticated', 'authenticated', %s, %s) returning id",
        (email, Jsonb(meta)),
    ))


def new_org(db, slug: str | None = None, name: str = "Acme") -> str:
    slug = slug or f"org-{uuid.uuid4().hex[:12]}"
    return str(one(db, "insert into public.organizations (name, slug) values (%s, %s) returning id", (name, slug)))


def add_member(db, org_id: str, user_id: str, role: str = "member") -> str:
    return str(one(
        db,
        "insert into public.organization_members (organization_id, user_id, role) values (%s, %s, %s) returning id",
        (org_id, user_id, role),
    ))


def new_subscription(db, org_id: str, stripe_subscription_id: str | None = None) -> str:
    return str(one(
        db,
        "insert into public.subscriptions (organization_id, stripe_customer_id, stripe_subscription_id) "
        "values (%s, 'cus_1', %s) returning id",
        (org_id, stripe_subscription_id),
    ))


def new_project(db, org_id: str, name: str = "Apollo", deleted_by: str | None = None) -> str:
    return str(one(
        db,
        "insert into public.projects (name, organization_id, deleted_at, deleted_by) "
        "values (%s, %s, case when %s::uuid is null then null else now() end, %s) returning id",
        (name, org_id, deleted_by, deleted_by),
    ))


def new_audit(db, org_id: str | None, user_id: str | None, action: str = "create") -> str:
    return str(one(
        db,
        "insert into public.audit_logs (organization_id, user_id, action, entity_type, entity_id) "
        "values (%s, %s, %s, 'project', 'p1') returning id",
        (org_id, user_id, action),
    ))


def rejected_by(db, constraint: str, query: str, params=None) -> bool:
    """True if the statement fails on `constraint`; False if it succeeds (rolled back either way)."""
    try:
        with db.transaction(force_rollback=True):
            db.execute(query, params)
    except psycopg.errors.IntegrityError as exc:
        assert exc.diag.constraint_name == constraint, f"failed on {exc.diag.constraint_name}, not {constraint}: {exc}"
        return True
    return False


def drop_all_policies(db) -> None:
    """Policies live in sql/policies; these tests prove what RLS does without any."""
    for table, policy in db.execute(
        "select tablename, policyname from pg_policies where schemaname = 'public'"
    ).fetchall():
        db.execute(sql.SQL("drop policy {} on public.{}").format(sql.Identifier(policy), sql.Identifier(table)))


# --- columns -------------------------------------------------------------------------------

TS = "timestamp with time zone"
NOW = "now()"
UUID_DEFAULT = "gen_random_uuid()"

# table -> column -> (type, nullable, default), types and defaults as Postgres prints
# them with an empty search_path (so enum types show their schema).
EXPECTED_COLUMNS = {
    "profiles": {
        "id": ("uuid", False, None),
        "email": ("text", True, None),  # empty for a second account with one email (0014)
        "name": ("text", True, None),
        "avatar_url": ("text", True, None),
        "role": ("public.user_role", False, "'member'::public.user_role"),
        "created_at": (TS, False, NOW),
        "updated_at": (TS, False, NOW),
    },
    "organizations": {
        "id": ("uuid", False, UUID_DEFAULT),
        "name": ("text", False, None),
        "slug": ("text", False, None),
        "logo_url": ("text", True, None),
        "settings": ("jsonb", False, "'{}'::jsonb"),
        "created_at": (TS, False, NOW),
        "updated_at": (TS, False, NOW),
    },
    "organization_members": {
        "id": ("uuid", False, UUID_DEFAULT),
        "organization_id": ("uuid", False, None),
        "user_id": ("uuid", False, None),
        "role": ("public.user_role", False, "'member'::public.user_role"),
        "created_at": (TS, False, NOW),
    },
    "subscriptions": {
        "id": ("uuid", False, UUID_DEFAULT),
        "organization_id": ("uuid", False, None),
        "stripe_customer_id": ("text", True, None),
        "stripe_subscription_id": ("text", True, None),
        "stripe_price_id": ("text", True, None),
        "status": ("public.subscription_status", False, "'trialing'::public.subscription_status"),
        "current_period_start": (TS, True, None),
        "current_period_end": (TS, True, None),
        "cancel_at_period_end": ("boolean", False, "false"),
        "created_at": (TS, False, NOW),
        "updated_at": (TS, False, NOW),
    },
    "projects": {
        "id": ("uuid", False, UUID_DEFAULT),
        "name": ("text", False, None),
        "organization_id": ("uuid", False, None),
        "deleted_at": (TS, True, None),
        "deleted_by": ("uuid", True, None),
        "created_at": (TS, False, NOW),
        "updated_at": (TS, False, NOW),
    },
    "audit_logs": {
        "id": ("uuid", False, UUID_DEFAULT),
        "organization_id": ("uuid", True, None),
        "user_id": ("uuid", True, None),
        "action": ("text", False, None),
        "entity_type": ("text", False, None),
        "entity_id": ("text", True, None),
        "old_values": ("jsonb", True, None),
        "new_values": ("jsonb", True, None),
        "ip_address": ("inet", True, None),
        "user_agent": ("text", True, None),
        "created_at": (TS, False, NOW),
        "changed_keys": ("text[]", True, None),
    },
}


def test_every_column_has_its_type_nullability_and_default(db):
    with db.transaction():
        db.execute("set local search_path = ''")
        rows = db.execute(
            """
            select c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   not a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid)
            from pg_catalog.pg_attribute a
            join pg_catalog.pg_class c on c.oid = a.attrelid
            left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
            where c.relnamespace = 'public'::pg_catalog.regnamespace
              and c.relname = any(%s) and a.attnum > 0 and not a.attisdropped
            """,
            (list(TABLES),),
        ).fetchall()
    actual: dict[str, dict] = {}
    for table, column, type_, nullable, default in rows:
        actual.setdefault(table, {})[column] = (type_, nullable, default)
    for table in TABLES:
        assert actual.get(table) == EXPECTED_COLUMNS[table], table


def test_no_timestamp_without_time_zone_in_public(db):
    naive = db.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'public' and data_type = 'timestamp without time zone'"
    ).fetchall()
    assert naive == []


def test_enums_have_their_values_in_order(db):
    def labels(enum: str) -> list[str]:
        return [r[0] for r in db.execute(
            "select enumlabel from pg_enum where enumtypid = %s::regtype order by enumsortorder", (enum,)
        )]

    assert labels("public.user_role") == ["admin", "member", "viewer"]
    assert labels("public.subscription_status") == ["active", "canceled", "past_due", "trialing"]


def test_defaults_fill_a_minimal_row(db):
    org = new_org(db)
    user = new_auth_user(db, "min@example.test")
    add_member(db, org, user)
    new_subscription(db, org)
    row = db.execute(
        "select o.settings, m.role::text, s.status::text, s.cancel_at_period_end, p.role::text "
        "from public.organizations o join public.organization_members m on m.organization_id = o.id "
        "join public.subscriptions s on s.organization_id = o.id join public.profiles p on p.id = m.user_id "
        "where o.id = %s",
        (org,),
    ).fetchone()
    assert row == ({}, "member", "trialing", False, "member")


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
    assert rejected_by(
        db, "audit_logs_action_check",
        "insert into public.audit_logs (action, entity_type) values (%s, 'project')", (action,),
    )


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


# --- indexes -------------------------------------------------------------------------------


def indexes(db) -> list[tuple[str, tuple[str, ...], bool, str | None]]:
    """(table, key columns, unique, predicate) of every index on the public tables."""
    rows = db.execute(
        """
        select c.relname,
               array(select a.attname from unnest(i.indkey) with ordinality k(attnum, n)
                     join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                     order by k.n),
               i.indisunique, pg_get_expr(i.indpred, i.indrelid)
        from pg_index i join pg_class c on c.oid = i.indrelid
        where c.relnamespace = 'public'::regnamespace and c.relname = any(%s)
        """,
        (list(TABLES),),
    ).fetchall()
    return [(t, tuple(cols), unique, pred) for t, cols, unique, pred in rows]


EXPECTED_INDEXES = [
    ("profiles", ("id",), True, None),
    ("profiles", ("email",), True, None),
    ("organizations", ("id",), True, None),
    ("organizations", ("slug",), True, None),
    ("organization_members", ("id",), True, None),
    # serves lookups by organization_id too (its leading column)
    ("organization_members", ("organization_id", "user_id"), True, None),
    ("organization_members", ("user_id",), False, None),
    ("subscriptions", ("id",), True, None),
    ("subscriptions", ("organization_id",), True, None),
    ("subscriptions", ("stripe_subscription_id",), True, None),
    ("subscriptions", ("stripe_customer_id",), False, None),
    ("projects", ("id",), True, None),
    ("projects", ("organization_id",), False, None),
    ("projects", ("organization_id",), False, "(deleted_at IS NULL)"),
    ("projects", ("organization_id", "deleted_at"), False, "(deleted_at IS NOT NULL)"),
    # an organization's log newest first (keyset pages), with list_audit_logs' filter
    # columns included (index-only pages); serves organization_id lookups
    ("audit_logs", ("organization_id", "created_at", "id", "entity_type", "user_id"), False, None),
    ("audit_logs", ("created_at",), False, None),  # a BRIN
]


@pytest.mark.parametrize("expected", EXPECTED_INDEXES, ids=lambda e: f"{e[0]}({','.join(e[1])}){'' if e[3] is None else '-partial'}")
def test_index_exists(db, expected):
    assert expected in indexes(db)


def test_no_duplicate_indexes(db):
    found = [(t, cols, pred) for t, cols, _unique, pred in indexes(db)]
    duplicates = {i for i in found if found.count(i) > 1}
    assert duplicates == set()


def test_every_foreign_key_leads_an_index(db):
    """Cascades and joins on a reference never scan the whole referencing table."""
    fks = db.execute(
        """
        select t.relname, a.attname
        from pg_constraint c
        join pg_class t on t.oid = c.conrelid
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
        where c.contype = 'f' and c.connamespace = 'public'::regnamespace
        """
    ).fetchall()
    assert len(fks) >= 6  # audit_logs has none: its entries outlive what they name
    leading = {(table, cols[0]) for table, cols, _unique, _pred in indexes(db)}
    assert [fk for fk in fks if fk not in leading] == []


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


# --- profiles follow auth.users ------------------------------------------------------------


def test_signup_creates_a_profile_with_name_from_metadata(db, make_user):
    alice = make_user(email="alice@example.test", name="Alice Liddell")
    row = db.execute(
        "select email, name, avatar_url, role::text from public.profiles where id = %s", (alice.id,)
    ).fetchone()
    assert row == ("alice@example.test", "Alice Liddell", None, "member")


@pytest.mark.parametrize("meta", [{}, {"name": ""}, {"name": "   "}, {"full_name": " "}, {"nickname": "Someone"}])
def test_signup_without_a_name_leaves_it_null(db, meta):
    user = new_auth_user(db, "noname@example.test", **meta)
    assert db.execute("select email, name from public.profiles where id = %s", (user,)).fetchone() == (
        "noname@example.test", None,
    )


def test_profile_email_follows_the_auth_user(db, make_user):
    bob = make_user(email="bob@example.test")
    db.execute("update auth.users set email = 'robert@example.test' where id = %s", (bob.id,))
    assert one(db, "select email from public.profiles where id = %s", (bob.id,)) == "robert@example.test"


def test_other_auth_user_changes_leave_the_profile_alone(db):
    user = new_auth_user(db, "calm@example.test", name="Calm")
    db.execute("update public.profiles set updated_at = now() where id = %s", (user,))
    before = db.execute("select email, name, updated_at from public.profiles where id = %s", (user,)).fetchone()
    db.execute(
        "update auth.users set raw_user_meta_data = '{\"name\": \"Changed\"}', last_sign_in_at = now(), "
        "email = email where id = %s",
        (user,),
    )
    after = db.execute("select email, name, updated_at from public.profiles where id = %s", (user,)).fetchone()
    assert after == before


def test_auth_user_without_email_gets_a_profile_once_it_has_one(db):
    """Phone sign-ups have no email: no profile (email is required and unique) until one is set."""
    first = new_auth_user(db, None, name="Phone One")
    second = new_auth_user(db, None)  # a second one must not collide with the first
    assert count(db, "profiles", "id = any(%s)", ([first, second],)) == 0

    db.execute("update auth.users set email = 'phone@example.test' where id = %s", (first,))
    assert db.execute("select email, name from public.profiles where id = %s", (first,)).fetchone() == (
        "phone@example.test", "Phone One",
    )


def test_clearing_an_auth_email_keeps_the_profile(db):
    user = new_auth_user(db, "keep@example.test")
    add_member(db, new_org(db), user)
    db.execute("update auth.users set email = null where id = %s", (user,))
    assert one(db, "select email from public.profiles where id = %s", (user,)) == "keep@example.test"
    assert count(db, "organization_members", "user_id = %s", (user,)) == 1


def new_sso_user(db, email: str, **meta) -> str:
    """An SSO account as GoTrue writes it: is_sso_user, so its email need not be unique."""
    return str(one(
        db,
        "insert into auth.users (id, aud, role, email, raw_user_meta_data, is_sso_user) "
        "values (gen_random_uuid(), 'authenticated', 'authenticated', %s, %s, true) returning id",
        (email, Jsonb(meta)),
    ))


def test_two_sso_accounts_with_one_email_both_sign_up(db):
    first = new_sso_user(db, "shared@corp.test", name="First")
    second = new_sso_user(db, "shared@corp.test", name="Second")  # GoTrue allows it: must not fail
    rows = dict(db.execute("select id::text, email from public.profiles where id = any(%s)", ([first, second],)).fetchall())
    assert rows == {first: "shared@corp.test", second: None}
    # A password account may share the address with SSO accounts too.
    third = new_auth_user(db, "shared@corp.test")
    assert one(db, "select email from public.profiles where id = %s", (third,)) is None


def test_a_soft_deleted_email_can_sign_up_again(db):
    """GoTrue's soft delete replaces the email with a hash and sets deleted_at."""
    gone = new_auth_user(db, "again@example.test")
    add_member(db, new_org(db), gone)
    db.execute("update auth.users set email = 'b64hash', deleted_at = now() where id = %s", (gone,))
    assert one(db, "select email from public.profiles where id = %s", (gone,)) is None
    back = new_auth_user(db, "again@example.test")
    assert one(db, "select email from public.profiles where id = %s", (back,)) == "again@example.test"


def test_a_cleared_email_moves_to_its_new_owner(db):
    old = new_auth_user(db, "moved@example.test")
    db.execute("update auth.users set email = null where id = %s", (old,))
    new = new_auth_user(db, "moved@example.test")
    assert one(db, "select email from public.profiles where id = %s", (new,)) == "moved@example.test"
    assert one(db, "select email from public.profiles where id = %s", (old,)) is None
    # A replaced email moves the same way.
    other = new_auth_user(db, "first@example.test")
    db.execute("update auth.users set email = 'second@example.test' where id = %s", (other,))
    assert one(db, "select email from public.profiles where id = %s", (other,)) == "second@example.test"
    taker = new_auth_user(db, "first@example.test")
    assert one(db, "select email from public.profiles where id = %s", (taker,)) == "first@example.test"


def test_apple_sign_ins_name_the_profile_from_full_name(db):
    apple = new_auth_user(db, "apple@privaterelay.test", full_name="Tim Apple")
    assert one(db, "select name from public.profiles where id = %s", (apple,)) == "Tim Apple"
    both = new_auth_user(db, "both@example.test", name="Preferred", full_name="Full")
    assert one(db, "select name from public.profiles where id = %s", (both,)) == "Preferred"


# --- updated_at ----------------------------------------------------------------------------


def seed_row(db, table: str) -> tuple[str, str]:
    """A row of `table` and the column an update changes."""
    if table == "profiles":
        return new_auth_user(db, "touch@example.test"), "name"
    org = new_org(db)
    if table == "organizations":
        return org, "name"
    if table == "subscriptions":
        return new_subscription(db, org), "stripe_price_id"
    return new_project(db, org), "name"


@pytest.mark.parametrize("table", TOUCHED_TABLES)
def test_updated_at_is_set_by_the_database(db, table):
    row_id, column = seed_row(db, table)
    ident = sql.Identifier(table)
    db.execute(
        sql.SQL("update public.{} set created_at = %s where id = %s").format(ident), (LONG_AGO, row_id)
    )
    created_at, updated_at, now = db.execute(
        sql.SQL("update public.{} set {} = 'changed', updated_at = %s where id = %s "
                "returning created_at, updated_at, now()").format(ident, sql.Identifier(column)),
        (LONG_AGO, row_id),
    ).fetchone()
    assert updated_at == now  # the caller's old value was overridden
    assert created_at == LONG_AGO  # untouched


@pytest.mark.parametrize("table", TOUCHED_TABLES)
def test_insert_defaults_both_timestamps(db, table):
    row_id, _ = seed_row(db, table)
    created_at, updated_at, age = db.execute(
        sql.SQL("select created_at, updated_at, now() - created_at from public.{} where id = %s").format(
            sql.Identifier(table)
        ),
        (row_id,),
    ).fetchone()
    assert created_at == updated_at
    assert age.total_seconds() < 60


def test_updated_at_trigger_fires_for_api_callers(db, make_user):
    """The trigger function lives in `private` and API roles may not execute it: it still fires."""
    drop_all_policies(db)
    alice = make_user()
    db.execute("create policy test_own on public.profiles for all to authenticated "
               "using (id = (select auth.uid())) with check (id = (select auth.uid()))")
    db.execute("update public.profiles set updated_at = %s where id = %s", (LONG_AGO, alice.id))
    updated_at, now = alice.sql.execute(
        "update public.profiles set name = 'Alice' where id = %s returning updated_at, now()", (alice.id,)
    ).fetchone()
    assert updated_at == now


# --- RLS -----------------------------------------------------------------------------------


def test_rls_is_enabled_on_every_table_in_public(db):
    rows = db.execute(
        "select relname, relrowsecurity from pg_class "
        "where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')"
    ).fetchall()
    assert set(TABLES) <= {name for name, _ in rows}
    assert [name for name, enabled in rows if not enabled] == []


def test_without_policies_api_callers_see_no_rows_despite_their_grants(db, make_user, anon, service_role):
    drop_all_policies(db)
    alice = make_user(name="Alice")
    org = new_org(db)
    add_member(db, org, alice.id, "admin")
    new_subscription(db, org)
    new_project(db, org)
    new_audit(db, org, alice.id)

    for table in TABLES:
        rows = count(db, table)
        assert rows >= 1, table
        for actor in (alice, anon):
            # Supabase's default privileges granted the table: RLS is what hides the rows.
            assert one(db, "select has_table_privilege(%s, %s, 'select')", (actor.role, f"public.{table}")), table
            assert one(actor.sql, sql.SQL("select count(*) from public.{}").format(sql.Identifier(table))) == 0, (
                table, actor.role,
            )
        assert one(service_role.sql, sql.SQL("select count(*) from public.{}").format(sql.Identifier(table))) == rows


@pytest.mark.parametrize("who", ["user", "anon"])
def test_without_policies_api_callers_cannot_write(db, make_user, anon, who):
    drop_all_policies(db)
    alice = make_user()
    org = new_org(db, "closed")
    actor = alice if who == "user" else anon
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        actor.sql.execute("insert into public.organizations (name, slug) values ('Mine', 'mine')")

    def changes_nothing(statement: str, params: tuple) -> bool:
        """Refused outright (no grant: anon's writes, a user's delete) or filtered to no row (RLS)."""
        try:
            return actor.sql.execute(statement, params).rowcount == 0
        except psycopg.errors.InsufficientPrivilege:
            return True

    assert changes_nothing("update public.organizations set name = 'Hacked' where id = %s", (org,))
    assert changes_nothing("delete from public.organizations where id = %s", (org,))
    if who == "user":  # the one profile column a user may write, still refused with no policy
        assert actor.sql.execute("update public.profiles set name = 'Hacked' where id = %s", (alice.id,)).rowcount == 0
    assert one(db, "select name from public.organizations where id = %s", (org,)) == "Acme"
    assert one(db, "select name from public.profiles where id = %s", (alice.id,)) is None


# --- functions and privileges --------------------------------------------------------------


def test_trigger_functions_are_not_executable_by_api_roles(db):
    functions = db.execute(
        "select p.oid, n.nspname || '.' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname in ('public', 'private') and p.prorettype = 'trigger'::regtype"
    ).fetchall()
    names = {name for _, name in functions}
    assert {"private.touch_updated_at", "private.handle_new_auth_user", "private.sync_profile_email"} <= names
    for oid, name in functions:
        for role in ("anon", "authenticated"):
            assert not one(db, "select has_function_privilege(%s, %s::oid, 'execute')", (role, oid)), (name, role)
        public_grant = one(
            db, "select exists (select 1 from pg_proc, aclexplode(proacl) a "
            "where oid = %s and a.grantee = 0)", (oid,),
        )
        assert not public_grant, name


def test_security_definer_functions_pin_an_empty_search_path(db):
    rows = db.execute(
        "select n.nspname || '.' || p.proname, p.proconfig from pg_proc p "
        "join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname in ('public', 'private') and p.prosecdef"
    ).fetchall()
    assert {"private.handle_new_auth_user", "private.sync_profile_email"} <= {name for name, _ in rows}
    for name, config in rows:
        assert 'search_path=""' in (config or []), name


def test_private_schema_is_not_granted_to_public(db):
    public_grant = one(
        db, "select exists (select 1 from pg_namespace, aclexplode(nspacl) a "
        "where nspname = 'private' and a.grantee = 0)",
    )
    assert public_grant is False
    assert not one(db, "select has_schema_privilege('anon', 'private', 'usage')")


def test_repeatable_function_files_are_idempotent(db):
    # Re-applied as `supakit migrate` does: as the role that migrates (`postgres`, not the
    # fixture's superuser), which owns what they define and holds its default privileges.
    migrator = one(db, "select tableowner from pg_catalog.pg_tables where schemaname = 'public' and tablename = 'projects'")
    db.execute(sql.SQL("set role {}").format(sql.Identifier(migrator)))
    try:
        for path in sorted((ROOT / "sql" / "functions").glob("*.sql")):
            db.execute(path.read_text())
    finally:
        db.execute("reset role")
    user = new_auth_user(db, "again@example.test", name="Again")
    assert one(db, "select name from public.profiles where id = %s", (user,)) == "Again"
    triggers = one(db, "select count(*) from pg_trigger where tgrelid = 'auth.users'::regclass and not tgisinternal")
    assert triggers == 2


# --- migration files -----------------------------------------------------------------------


def migration_ids() -> list[str]:
    return sorted(p.name[:-4] for p in MIGRATIONS.glob("*.sql") if not p.name.endswith(".rollback.sql"))


def test_every_migration_has_a_rollback_and_depends_on_the_previous():
    ids = migration_ids()
    assert ids[0] == "0001_foundation"
    for previous, current in zip([None, *ids], ids):
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+", current)
        assert (MIGRATIONS / f"{current}.rollback.sql").exists(), current
        text = (MIGRATIONS / f"{current}.sql").read_text()
        depends = re.findall(r"^--\s*depends:\s*(.*)$", text, re.M)
        assert depends == ([] if previous is None else [previous]), current


def test_every_table_created_enables_rls_in_the_same_migration():
    for mid in migration_ids():
        text = (MIGRATIONS / f"{mid}.sql").read_text()
        # A partition is read through its parent, whose policies apply (audit_logs' months).
        created = set(re.findall(r"^create table (?:if not exists )?([a-z_]+\.[a-z_]+)\b(?! partition of)", text, re.M))
        secured = set(re.findall(r"^alter table ([a-z_]+\.[a-z_]+) enable row level security", text, re.M))
        assert created <= secured, mid
        assert all(name.startswith(("public.", "private.")) for name in created), mid


def schema_snapshot(conn) -> set[tuple[str, str]]:
    """The objects our SQL can create: in public, private and on auth.users."""
    return set(conn.execute(
        """
        select 'schema', nspname from pg_namespace where nspname = 'private'
        union all
        select 'relation', n.nspname || '.' || c.relname || ':' || c.relkind::text
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('public', 'private')
        union all
        select 'type', n.nspname || '.' || t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where n.nspname in ('public', 'private') and t.typtype in ('e', 'd')
        union all
        select 'function', n.nspname || '.' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('public', 'private')
        union all
        select 'trigger', tgrelid::regclass::text || '.' || tgname from pg_trigger where not tgisinternal
        union all
        select 'constraint', conrelid::regclass::text || '.' || conname from pg_constraint
        where connamespace = 'public'::regnamespace
        """
    ).fetchall())


def test_rollbacks_undo_their_migrations_one_by_one(supakit_server):
    """Roll back newest first: sign-up keeps working at every step, the end state equals
    the bootstrap's, and migrating again gives the same schema."""
    from supakit.stack.bootstrap import apply_bootstrap
    from supakit.migrate import migrate, rollback
    from supakit.project import Project
    from supakit.testing import databases

    project = Project(ROOT)
    name = databases.unique_name("supakit_schema_rt")
    with supakit_server.connect(autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        url = supakit_server.url(name)
        with supakit_server.connect(name, autocommit=True) as conn:
            apply_bootstrap(conn)
            bare = schema_snapshot(conn)
            migrate(url, project)
            full = schema_snapshot(conn)
            assert {("relation", f"public.{t}:{'p' if t == 'audit_logs' else 'r'}") for t in TABLES} <= full
            for mid in reversed(migration_ids()):
                assert rollback(url, project, count=1).rolled_back == [mid]
                conn.execute("insert into auth.users (id, aud, role, email) values "
                             "(gen_random_uuid(), 'authenticated', 'authenticated', %s)", (f"{mid}@example.test",))
            assert schema_snapshot(conn) == bare
            conn.execute("insert into auth.users (id, aud, role, email, raw_user_meta_data) values "
                         "(gen_random_uuid(), 'authenticated', 'authenticated', 'early@example.test', "
                         "'{\"name\": \"Early\"}'), (gen_random_uuid(), 'authenticated', 'authenticated', null, '{}')")
            migrate(url, project)
            assert schema_snapshot(conn) == full
            # 0002 gave every auth user that existed before it a profile (those with an email)
            missing = one(conn, "select count(*) from auth.users u where u.email is not null "
                          "and not exists (select 1 from public.profiles p where p.id = u.id)")
            assert missing == 0
            assert one(conn, "select name from public.profiles where email = 'early@example.test'") == "Early"
            assert one(conn, "select count(*) from public.profiles") == one(
                conn, "select count(*) from auth.users where email is not null")
    finally:
        databases.drop(supakit_server, name)
