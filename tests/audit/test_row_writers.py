"""The insert and delete writers enable_audit generates per table
(sql/functions/079_audit_row_writers.sql): whole rows, typed organization, and every
entry still written after the columns they name change."""

from __future__ import annotations

import uuid

import pytest

from helpers import ROOT
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


@pytest.mark.parametrize(("change", "key"), [
    ("rename column organization_id to org_id", "code"),
    ("drop column organization_id", "code"),
    ("rename column code to ref", "ref"),
])
def test_a_column_the_writer_names_changed_and_every_entry_is_still_written(db, gadgets, change, key):
    """Key or organization renamed or dropped after generation: the writer's check sees it and
    the generic query writes, in the same session as the change (both writers' plans cached
    before it). It finds the columns by number: a renamed key or organization is still in
    every entry; a dropped organization is null."""
    add(db, gadgets, "a", "z")
    db.execute("delete from public.gadgets where code = 'z'")  # both writers' plans are now cached
    db.execute(f"alter table public.gadgets {change}")
    db.execute(f"insert into public.gadgets ({key}, label) values ('n', 'l-n')")
    db.execute("update public.gadgets set deleted_at = now() where label = 'l-a'")
    db.execute("delete from public.gadgets")
    org_after = None if change.startswith("drop") else gadgets
    created = sorted(((e["entity_id"], e["organization_id"]) for e in entries(db, "create")), key=str)
    assert created == sorted([("a", gadgets), ("z", gadgets), ("n", None)], key=str)  # n was added without one
    removed = sorted(((e["action"], e["entity_id"], e["organization_id"])
                      for e in entries(db, "delete") + entries(db, "purge")), key=str)
    assert removed == sorted([("delete", "z", gadgets), ("purge", "a", org_after), ("delete", "n", None)], key=str)


def test_a_key_dropped_since_generation_leaves_the_entries_without_an_entity_id(db, gadgets):
    """Only `drop ... cascade` can (audit_key_is_fixed depends on the key): the row is still
    stored whole, with its organization."""
    db.execute("alter table public.gadgets drop column code cascade")
    db.execute("insert into public.gadgets (organization_id, label) values (%s, 'l-x')", (gadgets,))
    db.execute("delete from public.gadgets")
    [created], [deleted] = entries(db, "create"), entries(db, "delete")
    assert (created["entity_id"], created["organization_id"], created["new_values"]["label"]) == (None, gadgets, "l-x")
    assert (deleted["entity_id"], deleted["organization_id"], deleted["old_values"]["label"]) == (None, gadgets, "l-x")


def test_a_retyped_column_that_still_converts_keeps_the_typed_writer(db, gadgets):
    """organization_id as text still casts to uuid: the typed query runs and the entry keeps it."""
    db.execute("alter table public.gadgets alter column organization_id type text")
    add(db, gadgets, "a")
    db.execute("delete from public.gadgets")
    assert [e["organization_id"] for e in entries(db, "create") + entries(db, "delete")] == [gadgets, gadgets]


def test_a_table_that_gains_deleted_at_later_records_purges(db):
    """Whether a delete is a purge is read from the stored row, not decided at generation."""
    db.execute("""
        create table public.sprockets (id int primary key, label text);
        select private.enable_audit('public.sprockets', 'id');
        alter table public.sprockets add column deleted_at timestamptz;
        insert into public.sprockets values (1, 'a', null), (2, 'b', now());
        delete from public.sprockets;""")
    assert sorted((e["entity_id"], e["action"]) for e in log(db, entity_type="sprockets") if e["action"] != "create") \
        == [("1", "delete"), ("2", "purge")]


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
        written = db.execute("select count(*), bool_and(xmin = pg_current_xact_id()::xid) "
                             "from public.audit_logs where entity_type = 'gadgets'").fetchone()
    finally:
        db.execute("rollback")
    assert written == (6, True)


def test_only_the_two_row_writers_exist_per_table(db, gadgets):
    """Insert and delete each have their own writer; no generic one is left behind."""
    writers = {r[0] for r in db.execute(
        "select tgfoid::regproc::text from pg_trigger where tgrelid = 'public.gadgets'::regclass "
        "and tgname in ('audit_insert', 'audit_delete')").fetchall()}
    assert writers == {"private.audit_insert__public__gadgets", "private.audit_delete__public__gadgets"}
    assert db.execute("select to_regprocedure('private.audit_insert()') is null "
                      "and to_regprocedure('private.audit_delete()') is null").fetchone()[0]


# --- databases audited before the writers were generated (080_audit.sql's upgrade) ----


GENERIC = """
    create function private.audit_insert() returns trigger language plpgsql as $$ begin return null; end $$;
    create function private.audit_delete() returns trigger language plpgsql as $$ begin return null; end $$;
    create or replace trigger audit_insert after insert on public.{t} referencing new table as new_rows
      for each statement execute function private.audit_insert({args});
    create or replace trigger audit_delete after delete on public.{t} referencing old table as old_rows
      for each statement execute function private.audit_delete({args});"""


def reapply_audit_file(db) -> list[str]:
    """080_audit.sql applied again, as the migrator applies a changed repeatable; its warnings."""
    warnings: list[str] = []
    db.add_notice_handler(lambda notice: warnings.append(notice.message_primary))
    db.execute((ROOT / "sql" / "functions" / "080_audit.sql").read_text())
    return warnings


def test_generic_triggers_are_given_generated_writers_with_their_columns_names_decoded(db, gadgets):
    """Column names outside ASCII come back from pg_trigger.tgargs as they were written."""
    db.execute('alter table public.gadgets rename column organization_id to "organisatión"')
    db.execute(GENERIC.format(t="gadgets", args="'code', 'organisatión'"))
    assert reapply_audit_file(db) == []
    writers = {r[0] for r in db.execute("select tgfoid::regproc::text from pg_trigger where tgrelid = "
                                        "'public.gadgets'::regclass and tgname in ('audit_insert', 'audit_delete')")}
    assert writers == {"private.audit_insert__public__gadgets", "private.audit_delete__public__gadgets"}
    assert db.execute("select to_regprocedure('private.audit_insert()') is null").fetchone()[0]
    db.execute('insert into public.gadgets (code, "organisatión") values (\'u\', %s)', (gadgets,))
    assert entries(db, "create")[0]["organization_id"] == gadgets


def test_a_table_whose_key_was_renamed_keeps_its_generic_triggers_and_the_upgrade_goes_on(db, gadgets):
    db.execute(GENERIC.format(t="gadgets", args="'gone', 'organization_id'"))
    warnings = reapply_audit_file(db)
    assert any("audit of gadgets not upgraded" in w and "gone" in w for w in warnings), warnings
    kept = db.execute("select tgfoid::regproc::text from pg_trigger where tgrelid = 'public.gadgets'::regclass "
                      "and tgname = 'audit_insert'").fetchone()[0]
    assert kept == "private.audit_insert"  # still in use: not dropped
    # Every other audited table was upgraded all the same.
    assert db.execute("select tgfoid::regproc::text from pg_trigger where tgrelid = 'public.projects'::regclass "
                      "and tgname = 'audit_insert'").fetchone()[0] == "private.audit_insert__public__projects"


def test_applying_the_generator_again_keeps_a_writer_whose_columns_were_renamed(db, gadgets):
    """Its trigger's arguments name columns that are gone: generated from them, the writer
    would lose the numbers that find the renamed columns. It is left until enable_audit."""
    db.execute("alter table public.gadgets rename column organization_id to org_id")
    db.execute((ROOT / "sql" / "functions" / "079_audit_row_writers.sql").read_text())
    db.execute("insert into public.gadgets (code, org_id) values ('a', %s)", (gadgets,))
    assert [e["organization_id"] for e in entries(db, "create")] == [gadgets]


def test_applying_the_generator_again_regenerates_every_tables_row_writers(db, gadgets):
    """A changed 079_audit_row_writers.sql reaches tables audited long before (the migrator
    applies it again): their writers are generated again from their triggers' arguments."""
    db.execute("create or replace function private.audit_insert__public__gadgets() returns trigger "
               "language plpgsql as $$ begin return null; end $$")  # an old writer that writes nothing
    add(db, gadgets, "lost")
    db.execute((ROOT / "sql" / "functions" / "079_audit_row_writers.sql").read_text())
    add(db, gadgets, "kept")
    assert [e["entity_id"] for e in entries(db, "create")] == ["kept"]
    assert entries(db, "create")[0]["organization_id"] == gadgets


def test_applying_the_generator_warns_of_writers_that_predate_finding_columns_by_number(db, gadgets):
    """An earlier version's writers read key and organization by name; once one was renamed,
    the regeneration leaves them (their trigger arguments name a column that is gone) and
    says so, naming the call that mends them."""
    db.execute("create or replace function private.audit_insert__public__gadgets() returns trigger "
               "language plpgsql as $$ begin return null; end $$")  # a writer of an earlier version
    db.execute("alter table public.gadgets rename column code to ref")
    warnings: list[str] = []
    db.add_notice_handler(lambda notice: warnings.append(f"{notice.message_primary} / {notice.message_hint}"))
    db.execute((ROOT / "sql" / "functions" / "079_audit_row_writers.sql").read_text())
    [warning] = [w for w in warnings if "gadgets" in w]
    assert "new entries lack them, and its updates write none" in warning
    assert "private.enable_audit('public.gadgets'" in warning
