"""The migration files: names, order, and what applying them makes."""

from __future__ import annotations

import re

from psycopg import sql

from helpers import ROOT, one
from helpers.schema import MIGRATIONS, TABLES


# --- migration files -----------------------------------------------------------------------


def migration_ids() -> list[str]:
    return sorted(p.name[:-4] for p in MIGRATIONS.glob("*.sql") if not p.name.endswith(".rollback.sql"))


def test_every_migration_has_a_rollback_and_depends_on_the_previous():
    ids = migration_ids()
    assert ids[0] == "0001_foundation"
    for previous, current in zip([None, *ids], ids):
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+", current)
        assert (MIGRATIONS / f"{current}.rollback.sql").exists(), current
        text = (MIGRATIONS / f"{current}.sql").read_text()
        depends = re.findall(r"^--\s*depends:\s*(.*)$", text, re.M)
        assert depends == ([] if previous is None else [previous]), current


def test_every_table_created_enables_rls_in_the_same_migration():
    for mid in migration_ids():
        text = (MIGRATIONS / f"{mid}.sql").read_text()
        # A partition is read through its parent, whose policies apply (audit_logs' months).
        created = set(re.findall(r"^create table (?:if not exists )?([a-z_]+\.[a-z_]+)\b(?! partition of)", text, re.M))
        secured = set(re.findall(r"^alter table ([a-z_]+\.[a-z_]+) enable row level security", text, re.M))
        assert created <= secured, mid
        assert all(name.startswith(("public.", "private.")) for name in created), mid


def schema_snapshot(conn) -> set[tuple[str, str]]:
    """The objects our SQL can create: in public, private and on auth.users."""
    return set(conn.execute(
        """
        select 'schema', nspname from pg_namespace where nspname = 'private'
        union all
        select 'relation', n.nspname || '.' || c.relname || ':' || c.relkind::text
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('public', 'private')
        union all
        select 'type', n.nspname || '.' || t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where n.nspname in ('public', 'private') and t.typtype in ('e', 'd')
        union all
        select 'function', n.nspname || '.' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('public', 'private')
        union all
        select 'trigger', tgrelid::regclass::text || '.' || tgname from pg_trigger where not tgisinternal
        union all
        select 'constraint', conrelid::regclass::text || '.' || conname from pg_constraint
        where connamespace = 'public'::regnamespace
        """
    ).fetchall())


def test_rollbacks_undo_their_migrations_one_by_one(supakit_server):
    """Roll back newest first: sign-up keeps working at every step, the end state equals
    the bootstrap's, and migrating again gives the same schema."""
    from supakit.stack.bootstrap import apply_bootstrap
    from supakit.migrate import migrate, rollback
    from supakit.project import Project
    from supakit.testing import databases

    project = Project(ROOT)
    name = databases.unique_name("supakit_schema_rt")
    with supakit_server.connect(autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        url = supakit_server.url(name)
        with supakit_server.connect(name, autocommit=True) as conn:
            apply_bootstrap(conn)
            bare = schema_snapshot(conn)
            migrate(url, project)
            full = schema_snapshot(conn)
            assert {("relation", f"public.{t}:{'p' if t == 'audit_logs' else 'r'}") for t in TABLES} <= full
            for mid in reversed(migration_ids()):
                assert rollback(url, project, count=1).rolled_back == [mid]
                conn.execute("insert into auth.users (id, aud, role, email) values "
                             "(gen_random_uuid(), 'authenticated', 'authenticated', %s)", (f"{mid}@example.test",))
            assert schema_snapshot(conn) == bare
            conn.execute("insert into auth.users (id, aud, role, email, raw_user_meta_data) values "
                         "(gen_random_uuid(), 'authenticated', 'authenticated', 'early@example.test', "
                         "'{\"name\": \"Early\"}'), (gen_random_uuid(), 'authenticated', 'authenticated', null, '{}')")
            migrate(url, project)
            assert schema_snapshot(conn) == full
            # 0002 gave every auth user that existed before it a profile (those with an email)
            missing = one(conn, "select count(*) from auth.users u where u.email is not null "
                          "and not exists (select 1 from public.profiles p where p.id = u.id)")
            assert missing == 0
            assert one(conn, "select name from public.profiles where email = 'early@example.test'") == "Early"
            assert one(conn, "select count(*) from public.profiles") == one(
                conn, "select count(*) from auth.users where email is not null")
    finally:
        databases.drop(supakit_server, name)
