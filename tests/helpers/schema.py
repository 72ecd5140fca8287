"""Making and inspecting rows of the schema as the superuser: what tests/schema/ shares."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from helpers import ROOT, one


MIGRATIONS = ROOT / "sql" / "migrations"

TABLES = ("profiles", "organizations", "organization_members", "subscriptions", "projects", "audit_logs")
TOUCHED_TABLES = ("profiles", "organizations", "subscriptions", "projects")
AUDIT_ACTIONS = ("create", "update", "delete", "soft_delete", "restore", "purge", "login", "logout", "invite", "remove")
LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)


# --- helpers ---------------------------------------------------------------------------


def count(conn, table: str, where: str = "true", params=None) -> int:
    return one(conn, sql.SQL("select count(*) from public.{} where " + where).format(sql.Identifier(table)), params)


def new_auth_user(db, email: str | None = None, **meta) -> str:
    return str(one(
        db,
        "insert into auth.users (id, aud, role, email, raw_user_meta_data) "
        "values (gen_random_uuid(), 'authenticated', 'authenticated', %s, %s) returning id",
        (email, Jsonb(meta)),
    ))


def new_org(db, slug: str | None = None, name: str = "Acme") -> str:
    slug = slug or f"org-{uuid.uuid4().hex[:12]}"
    return str(one(db, "insert into public.organizations (name, slug) values (%s, %s) returning id", (name, slug)))


def add_member(db, org_id: str, user_id: str, role: str = "member") -> str:
    return str(one(
        db,
        "insert into public.organization_members (organization_id, user_id, role) values (%s, %s, %s) returning id",
        (org_id, user_id, role),
    ))


def new_subscription(db, org_id: str, stripe_subscription_id: str | None = None) -> str:
    return str(one(
        db,
        "insert into public.subscriptions (organization_id, stripe_customer_id, stripe_subscription_id) "
        "values (%s, 'cus_1', %s) returning id",
        (org_id, stripe_subscription_id),
    ))


def new_project(db, org_id: str, name: str = "Apollo", deleted_by: str | None = None) -> str:
    return str(one(
        db,
        "insert into public.projects (name, organization_id, deleted_at, deleted_by) "
        "values (%s, %s, case when %s::uuid is null then null else now() end, %s) returning id",
        (name, org_id, deleted_by, deleted_by),
    ))


def new_audit(db, org_id: str | None, user_id: str | None, action: str = "create") -> str:
    return str(one(
        db,
        "insert into public.audit_logs (organization_id, user_id, action, entity_type, entity_id) "
        "values (%s, %s, %s, 'project', 'p1') returning id",
        (org_id, user_id, action),
    ))


def rejected_by(db, constraint: str, query: str, params=None) -> bool:
    """True if the statement fails on `constraint`; False if it succeeds (rolled back either way)."""
    try:
        with db.transaction(force_rollback=True):
            db.execute(query, params)
    except psycopg.errors.IntegrityError as exc:
        assert exc.diag.constraint_name == constraint, f"failed on {exc.diag.constraint_name}, not {constraint}: {exc}"
        return True
    return False


def drop_all_policies(db) -> None:
    """Policies live in sql/policies; these tests prove what RLS does without any."""
    for table, policy in db.execute(
        "select tablename, policyname from pg_policies where schemaname = 'public'"
    ).fetchall():
        db.execute(sql.SQL("drop policy {} on public.{}").format(sql.Identifier(policy), sql.Identifier(table)))
