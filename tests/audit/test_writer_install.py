"""How enable_audit's writers are named and installed (sql/functions/077_audit_writers.sql)."""

from __future__ import annotations

import psycopg
import pytest

from helpers.audit import log

LONG = "t" * 60  # a table name near the 63-byte limit


def test_a_long_table_name_gets_three_distinct_writers_within_the_limit(db):
    db.execute(f"create table public.{LONG} (id int primary key, label text)")
    db.execute(f"select private.enable_audit('public.{LONG}', 'id')")
    writers = [r[0] for r in db.execute(
        "select p.proname from pg_trigger t join pg_proc p on p.oid = t.tgfoid "
        "where t.tgrelid = %s::regclass and t.tgname in ('audit_insert', 'audit_update', 'audit_delete') "
        "order by t.tgname", (f"public.{LONG}",)).fetchall()]
    assert len(set(writers)) == 3 and all(len(w.encode()) <= 63 for w in writers), writers
    assert [w.split("__")[0] for w in writers] == ["audit_delete", "audit_insert", "audit_update"]
    db.execute(f"insert into public.{LONG} values (1, 'a')")
    db.execute(f"update public.{LONG} set label = 'b'")
    db.execute(f"delete from public.{LONG}")
    assert [e["action"] for e in log(db, entity_type=LONG)] == ["create", "update", "delete"]


def test_a_writer_and_its_helpers_are_executable_by_no_api_role(db):
    """The writers run as their triggers; their generators and helpers (names, column
    lookups, the organization reader) are for the migrator and the writers only."""
    functions = [r[0] for r in db.execute(
        "select p.oid::regprocedure::text from pg_proc p "
        "where p.pronamespace = 'private'::regnamespace "
        "and (p.proname ~ '^(create_)?audit_' or p.proname in ('install_audit_writer', 'trigger_arguments', 'enable_audit', "
        "'refuse_key_change', 'request_client'))"
    ).fetchall()]
    assert {"private.audit_column_now(oid,integer,text)", "private.create_audit_row_writer(regclass,text,text,text)",
            "private.request_client()", "private.audit_insert__public__projects()"} <= set(functions)
    granted = db.execute(
        "select array_agg(f || ' to ' || r.role) from unnest(%s::text[]) f "
        "cross join (values ('anon'), ('authenticated'), ('service_role')) r(role) "
        "where has_function_privilege(r.role, f::regprocedure, 'execute')", (functions,)).fetchone()[0]
    assert granted is None


def test_an_unknown_operation_is_refused_by_name(db):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="no audit writer for operation truncate"):
        db.execute("select private.install_audit_writer('public.projects', 'truncate', 'begin return null; end')")


def test_a_writers_columns_are_found_by_number_then_by_name(db):
    """private.audit_column_now: what the writers' generic queries read a key or organization by."""
    db.execute("create table public.dials (code text, organization_id uuid, label text)")
    number = db.execute("select private.audit_column_number('public.dials', 'organization_id')").fetchone()[0]

    def now(generated_name: str = "organization_id") -> str | None:
        return db.execute("select private.audit_column_now('public.dials'::regclass, %s, %s)",
                          (number, generated_name)).fetchone()[0]

    assert (number, now()) == (2, "organization_id")
    db.execute("alter table public.dials rename column organization_id to org")
    assert now() == "org"  # renamed: its number
    db.execute("alter table public.dials add column organization_id uuid")
    assert now() == "org"  # the number wins over a newcomer with its old name
    db.execute("alter table public.dials drop column org")
    assert now() == "organization_id"  # gone: a column of its old name (dropped and added again)
    db.execute("alter table public.dials drop column organization_id")
    assert now() is None and db.execute(
        "select private.audit_column_number('public.dials', 'organization_id')").fetchone()[0] is None
