"""The schema's indexes: each expected one, no duplicate, every foreign key leads one."""

from __future__ import annotations

import pytest

from helpers.schema import TABLES


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
]


@pytest.mark.parametrize("expected", EXPECTED_INDEXES, ids=lambda e: f"{e[0]}({','.join(e[1])}){'' if e[3] is None else '-partial'}")
def test_index_exists(db, expected):
    assert expected in indexes(db)


def test_only_the_default_audit_partition_has_a_time_index(db):
    """Months are read by organization and dropped whole; the default partition is searched by time."""
    rows = db.execute(
        """
        select c.relname, am.amname, array(select a.attname from unnest(i.indkey) k(attnum)
                                           join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum)
        from pg_inherits h join pg_class c on c.oid = h.inhrelid
        join pg_index i on i.indrelid = c.oid join pg_class ic on ic.oid = i.indexrelid join pg_am am on am.oid = ic.relam
        where h.inhparent = 'public.audit_logs'::regclass
        """
    ).fetchall()
    by_partition: dict[str, list[tuple[str, list[str]]]] = {}
    for partition, method, columns in rows:
        by_partition.setdefault(partition, []).append((method, columns))
    assert ("brin", ["created_at"]) in by_partition.pop("audit_logs_default")
    assert by_partition, "no monthly partition"
    for partition, found in by_partition.items():
        assert [method for method, _ in found] == ["btree"], (partition, found)


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
