"""The client's address and agent: parsed once, bounded."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from helpers.audit import Via, log, only, entry


# --- the client's address and agent: parsed once, bounded ----------------------------------


@pytest.mark.parametrize(("forwarded", "stored"), [
    ("not-an-ip", None),
    ("203.0.113.7:443", None),
    ("999.1.1.1, 10.0.0.1", None),
    ("'; drop table public.audit_logs; --", None),
    ("2001:db8::7, 10.0.0.1", "2001:db8::7"),
    ("::ffff:192.0.2.9", "::ffff:192.0.2.9"),
    ("x" * 5000, None),
])
def test_an_address_is_stored_as_inet_and_an_unparsable_one_as_null(db, make_user, forwarded, stored):
    """Through log_event and through a table's trigger: the write goes on, the address is
    inet or null, never an error."""
    via = Via("sql", db, None)
    user = make_user()
    via.client_headers = {"x-forwarded-for": forwarded, "user-agent": "probe/1.0"}
    logged = via.rpc(user, "log_event", action="login")
    org = via.rpc(user, "create_organization", name="Inet", slug=f"inet-{uuid.uuid4().hex[:12]}")["id"]
    for e in (only(log(db, id=logged["id"])), entry(db, "create", "organizations", org)):
        assert (e["ip_address"], e["user_agent"]) == (stored, "probe/1.0"), e
    assert one_type(db) == "inet"


def one_type(db) -> str:
    return db.execute("select format_type(atttypid, atttypmod) from pg_attribute "
                      "where attrelid = 'public.audit_logs'::regclass and attname = 'ip_address'").fetchone()[0]


def test_a_long_user_agent_is_cut_to_512_characters(db, make_user):
    via = Via("sql", db, None)
    user = make_user()
    agent = "Mozilla/5.0 " + "é" * 6000
    via.client_headers = {"x-forwarded-for": "198.51.100.20", "user-agent": agent}
    logged = via.rpc(user, "log_event", action="login")
    org = via.rpc(user, "create_organization", name="Agent", slug=f"agent-{uuid.uuid4().hex[:12]}")["id"]
    for e in (only(log(db, id=logged["id"])), entry(db, "create", "organizations", org)):
        assert e["user_agent"] == agent[:512] and e["ip_address"] == "198.51.100.20"
    # And nobody stores a longer one by hand: the column says so.
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("insert into public.audit_logs (action, entity_type, user_agent) values ('login', 'session', %s)",
                   (agent,))


def test_the_request_is_parsed_in_one_place(db):
    """Triggers, log_event and invite_member read the client from private.request_client()."""
    bodies = dict(db.execute(
        "select p.proname, p.prosrc from pg_proc p where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)"
    ).fetchall())
    readers = sorted(name for name, body in bodies.items() if "request.headers" in body)
    assert readers == ["request_client"]
    for name in ("audit_insert__public__projects", "audit_update__public__projects", "audit_delete__public__projects",
                 "log_event", "invite_member"):
        assert "private.request_client()" in bodies[name], name


@pytest.mark.parametrize(("forwarded", "stored"), [
    ("203.0.113.7", "203.0.113.7"), ("2001:db8::7", "2001:db8::7"), ("999.1.1.1", None), ("not-an-ip", None),
])
def test_trying_the_address_takes_no_subtransaction_id(db, forwarded, stored):
    """The address is tried as inet in a block that writes nothing: the entry is still
    written by the transaction itself (its xmin is the transaction's id), so reading a
    client never spends a subtransaction id, however many statements a transaction has."""
    db.execute("begin")
    try:
        db.execute("select set_config('request.headers', %s, true)", (json.dumps({"x-forwarded-for": forwarded}),))
        org = db.execute("insert into public.organizations (name, slug) values ('Xmin', %s) returning id",
                         (f"xmin-{uuid.uuid4().hex[:12]}",)).fetchone()[0]
        written, own = db.execute(
            "select host(ip_address), xmin = pg_current_xact_id()::xid from public.audit_logs "
            "where entity_type = 'organizations' and entity_id = %s", (str(org),)).fetchone()
    finally:
        db.execute("rollback")
    assert (written, own) == (stored, True), forwarded
