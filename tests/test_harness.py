"""The pytest harness itself: isolation, callers, tokens and backend selection."""

from __future__ import annotations

import pytest

from supakit import tokens
from supakit.stack.bootstrap import apply_bootstrap
from supakit.testing import databases


def test_isolation_write(db):
    db.execute("create table public.leak_probe (x int)")
    db.execute("insert into public.leak_probe values (1)")
    db.execute("insert into auth.users (id, aud, role, email) "
               "values (gen_random_uuid(), 'authenticated', 'authenticated', 'leak@example.test')")


def test_isolation_read(db):
    """Runs after test_isolation_write: its table and user must not be here."""
    assert db.execute("select to_regclass('public.leak_probe')").fetchone()[0] is None
    assert db.execute("select count(*) from auth.users where email = 'leak@example.test'").fetchone()[0] == 0


def test_each_test_gets_its_own_database(db, supakit_template):
    name = db.execute("select current_database()").fetchone()[0]
    assert name != supakit_template
    assert name.startswith("supakit_test_")


def test_template_is_migrated(db):
    applied = db.execute(
        "select count(*) from pg_namespace where nspname = 'auth'"
    ).fetchone()[0]
    assert applied == 1


def test_bootstrap_is_idempotent(db):
    assert apply_bootstrap(db) is True
    assert apply_bootstrap(db) is True
    roles = {r[0] for r in db.execute(
        "select rolname from pg_roles where rolname in ('anon','authenticated','service_role','authenticator')"
    )}
    assert roles == {"anon", "authenticated", "service_role", "authenticator"}
    assert db.execute("select rolbypassrls from pg_roles where rolname = 'service_role'").fetchone()[0]
    assert not db.execute("select rolinherit from pg_roles where rolname = 'authenticator'").fetchone()[0]


def test_bootstrap_grants_supabase_default_privileges(db):
    db.execute("create table public.grant_probe (x int)")
    granted = {r[0] for r in db.execute(
        "select grantee from information_schema.role_table_grants "
        "where table_name = 'grant_probe' and privilege_type = 'SELECT'"
    )}
    assert {"anon", "authenticated", "service_role"} <= granted


def test_bootstrap_skipped_on_real_supabase(supakit_server):
    name = databases.unique_name("supakit_fake_supabase")
    with supakit_server.connect(autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    try:
        with supakit_server.connect(name, autocommit=True) as conn:
            conn.execute("create schema auth; create table auth.users (id uuid primary key)")
            assert apply_bootstrap(conn) is False
            assert conn.execute("select to_regprocedure('auth.uid()')").fetchone()[0] is None
    finally:
        databases.drop(supakit_server, name)


def test_user_sql_runs_as_authenticated_with_claims(make_user):
    alice = make_user(email="alice@example.test", name="Alice")
    row = alice.sql.execute(
        "select current_user, auth.uid(), auth.role(), auth.email(), auth.jwt() -> 'user_metadata' ->> 'name'"
    ).fetchone()
    assert row == ("authenticated", __import__("uuid").UUID(alice.id), "authenticated", "alice@example.test", "Alice")


def test_anon_and_service_role_callers(anon, service_role):
    assert anon.sql.execute("select current_user, auth.uid()").fetchone() == ("anon", None)
    assert service_role.sql.execute("select current_user, auth.role()").fetchone() == ("service_role", "service_role")


def test_token_is_signed_like_supabase(make_user, supakit_session):
    bob = make_user()
    claims = tokens.decode(bob.token, supakit_session.jwt_secret)
    assert claims["sub"] == bob.id and claims["role"] == "authenticated" and claims["aud"] == "authenticated"
    with pytest.raises(Exception):
        tokens.decode(bob.token, "another-secret-of-at-least-thirty-two-chars")


def _owned_rows_table(conn, table):
    conn.execute(f"""
        create table public.{table} (id serial primary key, owner uuid not null);
        alter table public.{table} enable row level security;
        create policy owner_reads on public.{table} for select to authenticated
          using (owner = (select auth.uid()));
    """)


def test_rls_sees_claims_of_user_sql(db, make_user):
    alice, bob = make_user(), make_user()
    _owned_rows_table(db, "owned_probe")
    db.execute("insert into public.owned_probe (owner) values (%s), (%s), (%s)", (alice.id, alice.id, bob.id))
    assert alice.sql.execute("select count(*) from public.owned_probe").fetchone()[0] == 2
    assert bob.sql.execute("select count(*) from public.owned_probe").fetchone()[0] == 1


def test_refused_statement_leaves_connection_usable(make_user):
    carol = make_user()
    with pytest.raises(Exception):
        carol.sql.execute("select * from auth.users")
    assert carol.sql.execute("select 1").fetchone() == (1,)
