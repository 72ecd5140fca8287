"""The off-by-default doctor check that lists what blocks sharding by organization_id (docs/scaling.md)."""

from __future__ import annotations

from supakit.doctor import CHECKS, diagnose


def blockers(db) -> set[tuple[str, str]]:
    return {(f.object, f.message) for f in diagnose(db, only=["distribution-blockers"])}


def test_off_by_default(db):
    assert not CHECKS["distribution-blockers"].default
    assert all(f.check != "distribution-blockers" for f in diagnose(db))


def test_lists_what_blocks_distributing_todays_schema(db):
    found = blockers(db)
    objects = {obj for obj, _ in found}
    # Tenant tables whose keys do not carry organization_id (docs/scaling.md says what changes).
    # (audit_logs has no primary key at all: partitioned by month, it needs none to be distributed.)
    for table in ("projects", "organization_members", "subscriptions", "private.invitations"):
        assert any(obj == table and "primary key" in msg and "does not include organization_id" in msg
                   for obj, msg in found), (table, found)
    assert ("audit_logs", "organization_id is nullable: a row without a tenant has no shard") in found
    assert any(obj == "subscriptions" and "subscriptions_stripe_subscription_id_key" in msg for obj, msg in found)
    # organizations and profiles carry no organization_id: reference tables, not blockers themselves.
    assert "organizations" not in objects and "profiles" not in objects


def test_a_foreign_key_between_tenant_tables_needs_the_column_on_both_sides(db):
    db.execute("""
        create table public.doctor_tasks (
          organization_id uuid not null references public.organizations (id),
          id uuid not null,
          project_id uuid references public.projects (id),
          primary key (organization_id, id));
        alter table public.doctor_tasks enable row level security;
    """)
    assert any(obj == "doctor_tasks" and "doctor_tasks_project_id_fkey" in msg and "on both sides" in msg
               for obj, msg in blockers(db))
    db.execute("create table public.doctor_refs (id int primary key, project_id uuid references public.projects (id));"
               "alter table public.doctor_refs enable row level security;")
    assert any(obj == "doctor_refs" and "from a table without organization_id" in msg for obj, msg in blockers(db))
    db.execute("drop table public.doctor_refs; alter table public.doctor_tasks drop constraint doctor_tasks_project_id_fkey")
    assert not any(obj in ("doctor_tasks", "doctor_refs") for obj, _ in blockers(db))
