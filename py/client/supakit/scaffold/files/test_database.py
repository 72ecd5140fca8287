"""Your database under test. supakit's pytest plugin gives every test its own copy
of the migrated (and seeded) database, and callers that act as Supabase's API roles."""

import uuid


def test_every_exposed_table_has_rls(db):
    """A table in `public` without row level security is readable by every API key."""
    unprotected = db.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity"
    ).fetchall()
    assert unprotected == []


def test_a_user_acts_as_supabase_signs_them_in(make_user):
    alice = make_user(email="alice@example.test")
    row = alice.sql.execute("select current_user, auth.uid(), auth.email()").fetchone()
    assert row == ("authenticated", uuid.UUID(alice.id), "alice@example.test")


def test_anon_is_not_signed_in(anon):
    assert anon.sql.execute("select auth.uid()").fetchone()[0] is None
