"""Functions and privileges: trigger functions, search_path, the private schema, repeatable files."""

from __future__ import annotations

from psycopg import sql

from helpers import ROOT, one
from helpers.schema import new_auth_user


# --- functions and privileges --------------------------------------------------------------


def test_trigger_functions_are_not_executable_by_api_roles(db):
    functions = db.execute(
        "select p.oid, n.nspname || '.' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname in ('public', 'private') and p.prorettype = 'trigger'::regtype"
    ).fetchall()
    names = {name for _, name in functions}
    assert {"private.touch_updated_at", "private.handle_new_auth_user", "private.sync_profile_email"} <= names
    for oid, name in functions:
        for role in ("anon", "authenticated"):
            assert not one(db, "select has_function_privilege(%s, %s::oid, 'execute')", (role, oid)), (name, role)
        public_grant = one(
            db, "select exists (select 1 from pg_proc, aclexplode(proacl) a "
            "where oid = %s and a.grantee = 0)", (oid,),
        )
        assert not public_grant, name


def test_security_definer_functions_pin_an_empty_search_path(db):
    rows = db.execute(
        "select n.nspname || '.' || p.proname, p.proconfig from pg_proc p "
        "join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname in ('public', 'private') and p.prosecdef"
    ).fetchall()
    assert {"private.handle_new_auth_user", "private.sync_profile_email"} <= {name for name, _ in rows}
    for name, config in rows:
        assert 'search_path=""' in (config or []), name


def test_private_schema_is_not_granted_to_public(db):
    public_grant = one(
        db, "select exists (select 1 from pg_namespace, aclexplode(nspacl) a "
        "where nspname = 'private' and a.grantee = 0)",
    )
    assert public_grant is False
    assert not one(db, "select has_schema_privilege('anon', 'private', 'usage')")


def test_repeatable_function_files_are_idempotent(db):
    # Re-applied as `supakit migrate` does: as the role that migrates (`postgres`, not the
    # fixture's superuser), which owns what they define and holds its default privileges.
    migrator = one(db, "select tableowner from pg_catalog.pg_tables where schemaname = 'public' and tablename = 'projects'")
    db.execute(sql.SQL("set role {}").format(sql.Identifier(migrator)))
    try:
        for path in sorted((ROOT / "sql" / "functions").glob("*.sql")):
            db.execute(path.read_text())
    finally:
        db.execute("reset role")
    user = new_auth_user(db, "again@example.test", name="Again")
    assert one(db, "select name from public.profiles where id = %s", (user,)) == "Again"
    triggers = one(db, "select count(*) from pg_trigger where tgrelid = 'auth.users'::regclass and not tgisinternal")
    assert triggers == 2
