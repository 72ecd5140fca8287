"""Storage: monthly partitions, no foreign keys, retention by month."""

from __future__ import annotations

import psycopg
import pytest

from helpers.audit import log


# --- storage: monthly partitions, no foreign keys, retention by month ----------------------


def partitions(db) -> list[str]:
    return [r[0] for r in db.execute(
        "select c.relnamespace::regnamespace || '.' || c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
        "where i.inhparent = 'public.audit_logs'::regclass order by c.relname")]


def test_audit_logs_is_partitioned_by_month_in_the_private_schema_without_foreign_keys(db):
    assert db.execute("select relkind from pg_class where oid = 'public.audit_logs'::regclass").fetchone()[0] == "p"
    months = db.execute(
        "select to_char(date_trunc('month', now() at time zone 'utc') + make_interval(months => m), "
        "'\"private.audit_logs_y\"YYYY\"m\"MM') from generate_series(0, 3) m").fetchall()
    found = partitions(db)
    assert {m[0] for m in months} <= set(found) and "private.audit_logs_default" in found
    assert all(name.startswith("private.") for name in found)
    assert db.execute("select count(*) from pg_constraint where conrelid = 'public.audit_logs'::regclass "
                      "and contype = 'f'").fetchone()[0] == 0
    # No API role may touch a partition directly (RLS is the parent's).
    db.execute("select private.create_audit_partition('2032-01-01')")
    for partition in partitions(db):
        for role in ("anon", "authenticated", "service_role"):
            assert db.execute("select has_table_privilege(%s, %s, 'select, insert, update, delete, truncate')",
                              (role, partition)).fetchone()[0] is False, (role, partition)
    # Nothing in the exposed schema but the table itself.
    assert db.execute("select count(*) from pg_class where relnamespace = 'public'::regnamespace "
                      "and relname like 'audit_logs%' and relkind in ('r', 'p')").fetchone()[0] == 1


def test_an_entry_of_a_month_without_partition_is_kept_and_moves_into_its_partition(db):
    """No write fails for want of a partition: the default one keeps the entry until its
    month's partition is created, which takes it."""
    when = "2031-05-17 12:00:00+00"
    db.execute("insert into public.audit_logs (action, entity_type, entity_id, created_at) "
               "values ('login', 'session', 'far', %s)", (when,))
    assert db.execute("select count(*) from private.audit_logs_default where entity_id = 'far'").fetchone()[0] == 1
    assert db.execute("select private.create_audit_partition('2031-05-01')").fetchone()[0] is True
    assert db.execute("select private.create_audit_partition('2031-05-01')").fetchone()[0] is False
    assert db.execute("select count(*) from private.audit_logs_default").fetchone()[0] == 0
    assert db.execute("select count(*) from private.audit_logs_y2031m05 where entity_id = 'far'").fetchone()[0] == 1
    assert len(log(db, entity_id="far")) == 1
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        db.execute("select private.create_audit_partition('2031-05-02')")


def test_retention_drops_whole_months_and_keeps_the_rest(db, service_role):
    """purge_audit_logs: the months wholly older than the cutoff go as tables (no DELETE);
    strays of the default partition older than it are deleted; nothing newer is touched."""
    old_month = db.execute("select date_trunc('month', now() at time zone 'utc') - interval '14 months'").fetchone()[0]
    db.execute("select private.create_audit_partition(%s)", (old_month,))
    name = db.execute("select to_char(%s::timestamp, '\"audit_logs_y\"YYYY\"m\"MM')", (old_month,)).fetchone()[0]
    db.execute("insert into public.audit_logs (action, entity_type, entity_id, created_at) "
               "select 'login', 'session', 'old', (%s::timestamp at time zone 'utc') + g * interval '1 hour' "
               "from generate_series(0, 9) g", (old_month,))
    db.execute("insert into public.audit_logs (action, entity_type, entity_id, created_at) "
               "values ('login', 'session', 'stray', '2001-01-01'), ('login', 'session', 'recent', now())")
    assert db.execute(f"select count(*) from private.{name}").fetchone()[0] == 10

    removed = service_role.sql.execute("select public.purge_audit_logs('365 days')").fetchone()[0]
    assert removed == 11
    assert db.execute("select to_regclass(%s)", (f"private.{name}",)).fetchone()[0] is None
    assert [e["entity_id"] for e in log(db, action="login", entity_type="session")
            if e["entity_id"] in ("old", "stray", "recent")] == ["recent"]
    # The months ahead are still there (purge also keeps them ahead).
    assert len([p for p in partitions(db) if p != "private.audit_logs_default"]) >= 4


def test_the_scheduled_upkeep_removes_nothing_without_a_retention_setting(db):
    old_month = db.execute("select date_trunc('month', now() at time zone 'utc') - interval '30 months'").fetchone()[0]
    db.execute("select private.create_audit_partition(%s)", (old_month,))
    db.execute("insert into public.audit_logs (action, entity_type, entity_id, created_at) "
               "values ('login', 'session', 'kept', %s::timestamp at time zone 'utc')", (old_month,))
    assert db.execute("select private.maintain_audit_logs()").fetchone()[0] == 0
    assert len(log(db, entity_id="kept")) == 1
    with db.transaction():
        db.execute("set local supakit.audit_retention = '2 years'")
        assert db.execute("select private.maintain_audit_logs()").fetchone()[0] == 1
    assert log(db, entity_id="kept") == []


def test_the_upkeep_and_retention_functions_are_not_for_api_roles(db):
    for function in ("private.create_audit_partition(timestamp)", "private.create_audit_partitions(integer)",
                     "private.drop_audit_partitions(timestamptz)", "private.maintain_audit_logs()",
                     "private.request_client()"):
        for role in ("anon", "authenticated", "service_role"):
            assert db.execute("select has_function_privilege(%s, %s, 'execute')", (role, function)).fetchone()[0] is False, (
                function, role)
