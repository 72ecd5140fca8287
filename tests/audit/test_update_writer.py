"""The update writer enable_audit generates per table: typed comparisons, the changed
columns only, and every entry still written after the table's columns change."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from helpers import ROOT
from helpers.audit import log


@pytest.fixture
def widgets(db):
    """An audited table with a type that has no btree equality (json) and a domain."""
    org = str(db.execute("insert into public.organizations (name, slug) values ('W', %s) returning id",
                         (f"w-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    db.execute("""
        create domain public.size_class as int check (value >= 0);
        create table public.widgets (
          code text primary key, organization_id uuid, size public.size_class, spec json,
          tags text[], updated_at timestamptz not null default now());
        select private.enable_audit('public.widgets', 'code', 'organization_id');""")
    db.execute("insert into public.widgets (code, organization_id, size, spec, tags) "
               "values ('w1', %s, 1, '{\"a\": 1}', '{x}')", (org,))
    return org


def updates(db) -> list[dict]:
    return [e for e in log(db, entity_type="widgets") if e["action"] == "update"]


def test_an_update_stores_the_changed_columns_only(db, widgets):
    db.execute("update public.widgets set size = 2, updated_at = now() + interval '1 s'")
    [entry] = updates(db)
    assert entry["changed_keys"] == ["size"]
    assert set(entry["old_values"]) == set(entry["new_values"]) == {"size", "updated_at"}
    assert (entry["old_values"]["size"], entry["new_values"]["size"]) == (1, 2)
    assert (entry["entity_id"], entry["organization_id"]) == ("w1", widgets)


def test_columns_without_btree_equality_are_compared_as_jsonb(db, widgets):
    db.execute("update public.widgets set spec = '{\"a\": 1}'")  # the same json: no entry
    assert updates(db) == []
    db.execute("update public.widgets set spec = '{\"a\": 2}', tags = '{x,y}'")
    [entry] = updates(db)
    assert entry["changed_keys"] == ["spec", "tags"]
    assert entry["new_values"] == {"spec": {"a": 2}, "tags": ["x", "y"]}


def test_a_table_changed_after_generation_is_still_audited(db, widgets):
    """Added, renamed: the writer sees the shape changed and writes with the generic query,
    whole rows, until enable_audit runs again."""
    db.execute("alter table public.widgets add column colour text")
    db.execute("update public.widgets set colour = 'red'")
    db.execute("alter table public.widgets rename column size to weight")
    db.execute("update public.widgets set weight = 5")
    by_keys = {tuple(e["changed_keys"]): e for e in updates(db)}
    added, renamed = by_keys[("colour",)], by_keys[("weight",)]
    assert len(by_keys) == 2 and added["new_values"]["colour"] == "red" and renamed["new_values"]["weight"] == 5
    assert "code" in renamed["new_values"]  # the generic writer's whole row

    db.execute("select private.enable_audit('public.widgets', 'code', 'organization_id')")
    db.execute("update public.widgets set colour = 'blue'")
    latest = [e for e in updates(db) if e["new_values"].get("colour") == "blue"]
    assert [(e["changed_keys"], e["new_values"]) for e in latest] == [(["colour"], {"colour": "blue"})]


@pytest.mark.parametrize("change", ["rename column code to ref", "rename column organization_id to org_id"])
def test_an_update_after_its_key_or_organization_was_renamed_is_recorded_whole(db, widgets, change):
    """The generic query pairs old and new rows by the key and reads the organization under
    the names they have now (by column number): a renamed key still pairs them, and the
    entry keeps its key and organization."""
    db.execute("update public.widgets set size = 2")  # the writer's plans are cached
    db.execute(f"alter table public.widgets {change}")
    db.execute("update public.widgets set size = 3")
    latest = [e for e in updates(db) if e["new_values"].get("size") == 3]
    assert [(e["entity_id"], e["organization_id"], e["changed_keys"]) for e in latest] == [("w1", widgets, ["size"])]


def test_an_update_after_its_key_was_dropped_is_refused_by_name(db, widgets):
    """No key, nothing to pair old and new rows by: the update is refused (and rolled back
    with its statement), never left out of the log. enable_audit with a new key mends it."""
    db.execute("alter table public.widgets add column ref text")
    db.execute("update public.widgets set ref = code")
    db.execute("alter table public.widgets drop column code cascade")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as refused:
        with db.transaction():
            db.execute("update public.widgets set size = 9")
    assert 'key column "code" of public.widgets is gone' in str(refused.value)
    assert "private.enable_audit('public.widgets'" in refused.value.diag.message_hint
    assert db.execute("select size from public.widgets").fetchone()[0] == 1
    db.execute("select private.enable_audit('public.widgets', 'ref', 'organization_id')")
    db.execute("update public.widgets set size = 9")
    assert [(e["entity_id"], e["changed_keys"]) for e in updates(db)][-1:] == [("w1", ["size"])]


def second_organization(db) -> str:
    return str(db.execute("insert into public.organizations (name, slug) values ('W2', %s) returning id",
                          (f"w-{uuid.uuid4().hex[:8]}",)).fetchone()[0])


def insert_rows_in_two_organizations(db, first: str, second: str) -> None:
    db.execute("insert into public.widgets (code, organization_id, size) "
               "select 'n' || g, case when g %% 2 = 0 then %s::uuid else %s::uuid end, g "
               "from generate_series(1, 20) g", (first, second))


def assert_numbered_in_index_order(db, action: str) -> None:
    """One statement's 20 entries: one random prefix, then numbers counting down from
    2^48 - 1 in organization order, so they arrive in the keyset index's order
    (organization_id, created_at desc, id desc): side by side, not scattered."""
    entries = db.execute(
        "select id::text, organization_id::text from public.audit_logs where entity_type = 'widgets' "
        "and action = %s and entity_id like 'n%%' order by id desc", (action,)).fetchall()
    ids = [i for i, _ in entries]
    assert len(ids) == 20 and len({i[:24] for i in ids}) == 1, action  # one prefix per statement
    assert [int(i[24:], 16) for i in ids] == [2**48 - 1 - n for n in range(1, 21)], action
    assert all(uuid.UUID(i).version == 4 for i in ids)
    organizations = [o for _, o in entries]
    assert organizations == sorted(organizations, key=uuid.UUID) and len(set(organizations)) == 2, action


def test_one_statements_entries_are_numbered_in_index_order(db, widgets):
    insert_rows_in_two_organizations(db, widgets, second_organization(db))
    db.execute("update public.widgets set size = size + 1 where code like 'n%%'")
    db.execute("delete from public.widgets where code like 'n%%'")
    for action in ("create", "update", "delete"):
        assert_numbered_in_index_order(db, action)


def test_a_stale_writer_numbers_entries_in_index_order_too(db, widgets):
    insert_rows_in_two_organizations(db, widgets, second_organization(db))
    db.execute("alter table public.widgets add column colour text")  # the generic query from here
    db.execute("update public.widgets set colour = 'red' where code like 'n%%'")
    assert all("code" in e["new_values"] for e in updates(db))  # the generic writer's whole rows
    assert_numbered_in_index_order(db, "update")



def writer_source(db) -> str:
    return db.execute("select prosrc from pg_proc where proname = 'audit_update__public__widgets'").fetchone()[0]


def apply_update_generator(db) -> None:
    """078_audit_update_writer.sql applied again, as the migrator applies a changed repeatable."""
    db.execute((ROOT / "sql" / "functions" / "078_audit_update_writer.sql").read_text())


def test_applying_the_generator_again_regenerates_fresh_update_writers(db, widgets):
    """A changed 078_audit_update_writer.sql reaches tables audited long before."""
    shape = db.execute("select quote_literal(private.audit_shape('public.widgets'))").fetchone()[0]
    db.execute("create or replace function private.audit_update__public__widgets() returns trigger language plpgsql "
               f"as $body$ begin return null; end; -- an old writer for {shape} $body$")
    db.execute("update public.widgets set size = 5")
    assert updates(db) == []  # the old writer writes nothing
    apply_update_generator(db)
    db.execute("update public.widgets set size = 6")
    [entry] = updates(db)
    assert entry["changed_keys"] == ["size"] and entry["organization_id"] == widgets


def test_applying_the_generator_again_leaves_a_stale_update_writer_to_enable_audit(db, widgets):
    """Generated again from its old arguments, a stale writer would stop seeing that it is stale."""
    db.execute("alter table public.widgets add column colour text")
    stale = writer_source(db)
    apply_update_generator(db)
    assert writer_source(db) == stale


@pytest.mark.parametrize(("key_type", "value", "entity_id"), [
    ("public.moment", "2026-12-07 21:00:00+00", "2026-12-07T21:00:00+00:00"),  # a domain over a domain
    ("date", "2026-12-07", "2026-12-07"),
    ("char(5)", "ab", "ab   "),
])
def test_an_entitys_entries_share_one_entity_id_whatever_its_key_type_and_datestyle(db, key_type, value, entity_id):
    """Insert and delete writers take the key's text from the row's jsonb (ISO 8601 for date
    and time types, char(n) padded); the update writer writes the same text."""
    db.execute("""
        set datestyle = 'SQL, DMY';
        set timezone = 'UTC';
        create domain public.instant as timestamptz;
        create domain public.moment as public.instant;""")
    db.execute(f"create table public.ticks (at {key_type} primary key, v int)")
    db.execute("select private.enable_audit('public.ticks', 'at')")
    db.execute("insert into public.ticks values (%s, 1)", (value,))
    db.execute("update public.ticks set v = 2")
    db.execute("delete from public.ticks")
    entity_ids = {e["action"]: e["entity_id"] for e in log(db, entity_type="ticks")}
    assert entity_ids == dict.fromkeys(["create", "update", "delete"], entity_id)


def test_a_key_renamed_and_its_old_name_reused_still_pairs_rows_by_the_key(db, widgets):
    """The column with the key's number is the key (audit_key_is_fixed follows it too), not a
    newcomer with its old name: each row's update is one entry, under its own key."""
    db.execute("insert into public.widgets (code, organization_id, size) values ('w2', %s, 1), ('w3', %s, 1)",
               (widgets, widgets))
    db.execute("alter table public.widgets rename column code to ref")
    db.execute("alter table public.widgets add column code text")
    db.execute("update public.widgets set size = 5")
    latest = [e for e in updates(db) if e["new_values"].get("size") == 5]
    assert sorted((e["entity_id"], e["organization_id"], e["changed_keys"]) for e in latest) == [
        (code, widgets, ["size"]) for code in ("w1", "w2", "w3")]
