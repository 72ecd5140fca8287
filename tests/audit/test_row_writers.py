"""The insert and delete writers enable_audit generates per table
(sql/functions/079_audit_row_writers.sql): whole rows, typed organization, and every
entry still written after the columns they name change."""

from __future__ import annotations

import uuid

import pytest

from helpers.audit import log


@pytest.fixture
def gadgets(db):
    """An audited, trashable table of one organization, keyed by text."""
    org = str(db.execute("insert into public.organizations (name, slug) values ('G', %s) returning id",
                         (f"g-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    db.execute("""
        create table public.gadgets (
          code text primary key, organization_id uuid, label text, deleted_at timestamptz);
        select private.enable_audit('public.gadgets', 'code', 'organization_id');""")
    return org


def entries(db, action: str) -> list[dict]:
    return log(db, entity_type="gadgets", action=action)


def add(db, org: str, *codes: str) -> None:
    db.execute("insert into public.gadgets (code, organization_id, label) select c, %s, 'l-' || c from unnest(%s::text[]) c",
               (org, list(codes)))


def test_created_and_deleted_rows_are_stored_whole(db, gadgets):
    add(db, gadgets, "a", "b")
    db.execute("update public.gadgets set deleted_at = now() where code = 'b'")
    db.execute("delete from public.gadgets")
    created = {e["entity_id"]: e for e in entries(db, "create")}
    assert set(created) == {"a", "b"}
    assert created["a"]["new_values"] == {"code": "a", "organization_id": gadgets, "label": "l-a", "deleted_at": None}
    assert created["a"]["organization_id"] == gadgets and created["a"]["old_values"] is None
    [deleted], [purged] = entries(db, "delete"), entries(db, "purge")  # b was in the trash
    assert (deleted["entity_id"], purged["entity_id"]) == ("a", "b")
    assert deleted["old_values"]["label"] == "l-a" and deleted["new_values"] is None


def test_columns_added_since_generation_are_stored(db, gadgets):
    """The row is stored whole as it is now: nothing to regenerate for a new column."""
    db.execute("alter table public.gadgets add column colour text default 'red'")
    add(db, gadgets, "a")
    db.execute("delete from public.gadgets")
    assert entries(db, "create")[0]["new_values"]["colour"] == "red"
    assert entries(db, "delete")[0]["old_values"]["colour"] == "red"


@pytest.mark.parametrize("change", [
    "rename column organization_id to org_id",
    "drop column organization_id",
    "rename column deleted_at to trashed_at",
    "alter column organization_id type text",
])
def test_a_column_the_writer_names_changed_and_every_entry_is_still_written(db, gadgets, change):
    """Key, organization or deleted_at renamed, dropped or retyped after generation: the
    writer's check sees it and the generic query writes, in the same session as the change."""
    add(db, gadgets, "a")  # the writer's plans are cached in this session
    db.execute(f"alter table public.gadgets {change}")
    db.execute("insert into public.gadgets (code, label) values ('b', 'l-b'), ('c', 'l-c')")
    db.execute("delete from public.gadgets where code in ('a', 'b')")
    assert sorted(e["entity_id"] for e in entries(db, "create")) == ["a", "b", "c"]
    assert sorted(e["entity_id"] for e in entries(db, "delete")) == ["a", "b"]


def test_enable_audit_again_writes_typed_with_the_new_names(db, gadgets):
    db.execute("alter table public.gadgets rename column organization_id to org_id")
    db.execute("select private.enable_audit('public.gadgets', 'code', 'org_id')")
    add_sql = "insert into public.gadgets (code, org_id) values ('a', %s)"
    db.execute(add_sql, (gadgets,))
    db.execute("delete from public.gadgets")
    assert [e["organization_id"] for e in entries(db, "create") + entries(db, "delete")] == [gadgets, gadgets]
    source = db.execute("select prosrc from pg_proc where proname = 'audit_insert__public__gadgets'").fetchone()[0]
    assert "r.org_id::uuid" in source


def test_entries_are_written_by_the_transaction_itself(db, gadgets):
    """The writers' per-statement check runs in a subtransaction that writes nothing; the
    entries are written outside it, by the transaction (their xmin is its id). Written
    inside, every audited statement would take a subtransaction id, and a transaction of
    more than 64 of them makes every snapshot in the cluster slower."""
    db.execute("begin")
    try:
        for i in range(3):
            add(db, gadgets, f"x{i}")
        db.execute("delete from public.gadgets")
        writers = db.execute("select array_agg(distinct xmin::text), pg_current_xact_id()::text "
                             "from public.audit_logs where entity_type = 'gadgets'").fetchone()
    finally:
        db.execute("rollback")
    assert writers[0] == [writers[1]]


def test_only_the_two_row_writers_exist_per_table(db, gadgets):
    """Insert and delete each have their own writer; no generic one is left behind."""
    writers = {r[0] for r in db.execute(
        "select tgfoid::regproc::text from pg_trigger where tgrelid = 'public.gadgets'::regclass "
        "and tgname in ('audit_insert', 'audit_delete')").fetchall()}
    assert writers == {"private.audit_insert__public__gadgets", "private.audit_delete__public__gadgets"}
    assert db.execute("select to_regprocedure('private.audit_insert()') is null "
                      "and to_regprocedure('private.audit_delete()') is null").fetchone()[0]
