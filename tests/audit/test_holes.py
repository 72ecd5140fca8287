"""Holes found while writing the audit tests."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from helpers.audit import Refused, Via, log, count


# --- holes found while writing these tests (see the report) ------------------------------


def test_the_key_column_of_an_audited_table_cannot_change(db, service_role):
    """The audit trail pairs old and new rows by key: a key change is refused, not lost."""
    org = str(db.execute("insert into public.organizations (name, slug) values ('K', %s) returning id",
                         (f"k-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    pid = str(db.execute("insert into public.projects (organization_id, name) values (%s, 'K') returning id",
                         (org,)).fetchone()[0])
    new_id = str(uuid.uuid4())
    with pytest.raises(psycopg.Error) as caught:
        service_role.sql.execute("update public.projects set id = %s where id = %s", (new_id, pid))
    assert caught.value.sqlstate == "23514" and "cannot change" in str(caught.value)
    assert count(db, "select count(*) from public.projects where id = %s", (pid,)) == 1


def test_log_event_never_records_a_signed_in_caller_as_nobody(db, make_user):
    user = make_user()
    db.execute("update auth.users set email = null where id = %s", (user.id,))
    db.execute("delete from public.profiles where id = %s", (user.id,))
    try:
        logged = Via("sql", db, None).rpc(user, "log_event", action="login")
    except Refused:
        return  # refusing is fine: no entry in nobody's name
    assert logged["user_id"] == user.id


def test_the_service_role_cannot_attach_triggers_to_the_log(db, service_role, make_user):
    user = make_user()
    try:
        with service_role.sql.transaction() as conn:
            conn.execute("create function pg_temp.swallow() returns trigger language plpgsql as $$ begin return null; end $$")
            conn.execute("create trigger swallow before insert on public.audit_logs "
                         "for each row execute function pg_temp.swallow()")
    except psycopg.Error as exc:
        assert exc.sqlstate == "42501"
    Via("sql", db, None).rpc(user, "log_event", action="login")
    assert len(log(db, user_id=user.id, action="login")) == 1


def test_truncating_an_audited_table_is_refused_or_audited(db, service_role):
    org = str(db.execute("insert into public.organizations (name, slug) values ('T', %s) returning id",
                         (f"t-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    db.execute("insert into public.projects (organization_id, name) values (%s, 'a'), (%s, 'b')", (org, org))
    entries = count(db, "select count(*) from public.audit_logs")
    try:
        service_role.sql.execute("truncate public.projects")
    except psycopg.Error as exc:
        assert exc.sqlstate == "42501"
    remaining = count(db, "select count(*) from public.projects")
    assert remaining == 2 or count(db, "select count(*) from public.audit_logs") > entries
