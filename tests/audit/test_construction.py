"""How the audit trail is built: statement-level triggers, what they cover."""

from __future__ import annotations

import uuid

from helpers.audit import log


# --- how it is built -------------------------------------------------------------------


AUDITED = ("organizations", "organization_members", "subscriptions", "projects", "profiles")


def test_audit_triggers_are_statement_level_with_transition_tables(db):
    rows = db.execute("""
        select c.relname, t.tgname, (t.tgtype & 1) = 1 as per_row, t.tgoldtable, t.tgnewtable,
               p.prosecdef, p.proconfig
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_proc p on p.oid = t.tgfoid
        where t.tgname in ('audit_insert', 'audit_update', 'audit_delete')
          and c.relnamespace = 'public'::regnamespace""").fetchall()
    found = {(r[0], r[1]) for r in rows}
    assert found == {(t, f"audit_{op}") for t in AUDITED for op in ("insert", "update", "delete")}
    for relname, tgname, per_row, old_table, new_table, secdef, config in rows:
        assert not per_row, (relname, tgname)
        assert (old_table is not None) == (tgname != "audit_insert") and (new_table is not None) == (tgname != "audit_delete")
        assert secdef and 'search_path=""' in config, (relname, tgname, config)
    # And the key the statement triggers pair rows by is fixed, per row.
    fixed = {r[0] for r in db.execute(
        "select c.relname from pg_trigger t join pg_class c on c.oid = t.tgrelid "
        "where t.tgname = 'audit_key_is_fixed' and (t.tgtype & 1) = 1")}
    assert fixed == set(AUDITED)


def test_enable_audit_is_one_statement(db):
    db.execute("""
        create table public.widgets (
          code text primary key, organization_id uuid references public.organizations (id), size int);
        select private.enable_audit('public.widgets', 'code', 'organization_id');""")
    org = str(db.execute("insert into public.organizations (name, slug) values ('W', %s) returning id",
                         (f"w-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    db.execute("insert into public.widgets values ('w1', %s, 1), ('w2', null, 2)", (org,))
    db.execute("update public.widgets set size = size + 1")
    db.execute("delete from public.widgets where code = 'w1'")
    got = [(e["action"], e["entity_id"], e["organization_id"], e["changed_keys"])
           for e in log(db, entity_type="widgets")]
    assert sorted(got, key=str) == sorted([
        ("create", "w1", org, None), ("create", "w2", None, None),
        ("update", "w1", org, ["size"]), ("update", "w2", None, ["size"]),
        ("delete", "w1", org, None),
    ], key=str)
