"""The schema's columns: types, nullability, defaults, enums."""

from __future__ import annotations

from helpers.schema import new_auth_user, new_org, add_member, new_subscription, TABLES


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
