"""`supakit doctor` against a real migrated database: each check fires on its bad SQL and goes quiet on the fix.

The command itself is in test_doctor_command.py.
"""

from __future__ import annotations

import psycopg
import pytest

from supakit.doctor import CHECKS, Level, diagnose
from supakit.doctor.functions import called_names, callers_checked
from supakit.doctor.report import failing, human

from helpers import ROOT


def test_docs_list_every_check_with_its_examples():
    docs = (ROOT / "docs" / "doctor.md").read_text()
    for check in CHECKS.values():
        assert f"### `{check.id}`" in docs, check.id
        assert check.bad.rstrip() in docs and check.good.rstrip() in docs, f"docs/doctor.md: {check.id}'s examples"


def found(conn: psycopg.Connection, check: str, exposed=("public",)) -> list:
    return diagnose(conn, exposed, only=[check])  # naming it runs an off-by-default check too


def test_migrated_schema_has_no_warnings_or_errors(db):
    findings = diagnose(db)
    serious = [f for f in findings if f.level >= Level.WARN]
    assert serious == [], human(serious)


def test_migrated_schema_info_findings_are_known(db):
    # Info-level advice the schema currently draws, listed so a new one is a decision.
    findings = [(f.check, f.object) for f in diagnose(db) if f.level == Level.INFO]
    allowed_checks = {"rls-enabled-no-policy", "unindexed-foreign-key"}
    # audit_logs and its monthly partitions: an append-only log, never updated or deleted
    # by key; a primary key would be one more index on every audited write (docs/audit-and-trash.md).
    no_key = {(check, obj) for check, obj in findings if check == "table-without-primary-key"}
    assert all(obj == "audit_logs" or obj.startswith("private.audit_logs_") for _, obj in no_key), no_key
    assert {check for check, _ in findings} - {"table-without-primary-key"} <= allowed_checks, findings


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_check_fires_on_bad_and_quiet_after_fix(db, check_id):
    check = CHECKS[check_id]
    assert check.bad and check.good, f"{check_id} needs a bad/good example (docs/doctor.md shows them)"
    baseline = found(db, check_id)  # what the migrated schema already draws (info level at most)
    db.execute(check.bad)
    fired = [f for f in found(db, check_id) if f not in baseline]
    assert fired, f"{check_id} stayed quiet on:\n{check.bad}"
    assert all(f.why and f.fix and f.object for f in fired)
    db.execute(check.good)
    assert found(db, check_id) == baseline, f"{check_id} still fires after:\n{check.good}"


def test_bookkeeping_in_an_exposed_schema_is_an_error(db):
    [finding, *_] = found(db, "bookkeeping-exposed", exposed=("public", "supakit_migrations"))
    assert finding.level == Level.ERROR
    db.execute("grant usage on schema supakit_migrations to anon; grant select on supakit_migrations.checksums to anon")
    [finding] = found(db, "bookkeeping-exposed")
    assert finding.level == Level.WARN and "anon" in finding.message


def test_yoyo_tables_in_public_are_bookkeeping(db):
    db.execute("create table public._yoyo_migration (migration_hash text primary key)")
    db.execute("alter table public._yoyo_migration enable row level security")
    assert [f.object for f in found(db, "bookkeeping-exposed")] == ["_yoyo_migration"]


def test_rls_disabled_only_in_exposed_schemas(db):
    db.execute("create schema internal; create table internal.jobs (id bigint primary key)")
    assert found(db, "rls-disabled") == []
    assert [f.object for f in found(db, "rls-disabled", exposed=("public", "internal"))] == ["internal.jobs"]


def test_per_row_auth_call_inside_a_correlated_subquery(db):
    db.execute(
        "create table public.doctor_notes (id bigint primary key, org uuid);"
        "alter table public.doctor_notes enable row level security;"
        "create policy doctor_notes_read on public.doctor_notes for select to authenticated using ("
        "  exists (select 1 from public.organization_members m where m.organization_id = org and m.user_id = auth.uid()))"
    )
    assert found(db, "policy-auth-call-per-row")
    db.execute(
        "alter policy doctor_notes_read on public.doctor_notes using ("
        "  exists (select 1 from public.organization_members m where m.organization_id = org"
        "          and m.user_id = (select auth.uid())))"
    )
    assert found(db, "policy-auth-call-per-row") == []


def test_current_setting_per_row(db):
    db.execute(
        "create table public.doctor_notes (id bigint primary key, tenant text);"
        "alter table public.doctor_notes enable row level security;"
        "create policy doctor_notes_read on public.doctor_notes for select to authenticated"
        "  using (tenant = current_setting('app.tenant'))"
    )
    [finding] = found(db, "policy-auth-call-per-row")
    assert "current_setting()" in finding.message


def test_multiple_permissive_counts_public_and_all(db):
    db.execute(
        "create table public.doctor_notes (id bigint primary key, owner_id uuid);"
        "alter table public.doctor_notes enable row level security;"
        "create policy a on public.doctor_notes for all to authenticated using (owner_id = (select auth.uid()));"
        "create policy b on public.doctor_notes for select to public using (owner_id is null);"
    )
    messages = [f.message for f in found(db, "multiple-permissive-policies")]
    assert any("select policies apply to authenticated: a, b" in m for m in messages), messages
    assert not any("anon" in m for m in messages), messages  # anon has only b
    db.execute("alter policy b on public.doctor_notes to anon")
    assert found(db, "multiple-permissive-policies") == []


def test_restrictive_and_service_role_policies_are_not_always_true_writes(db):
    db.execute(
        "create table public.doctor_notes (id bigint primary key);"
        "alter table public.doctor_notes enable row level security;"
        "create policy svc on public.doctor_notes for all to service_role using (true) with check (true);"
        "create policy narrow on public.doctor_notes as restrictive for insert to authenticated with check (true);"
    )
    assert found(db, "write-policy-always-true") == []
    db.execute("create policy wide on public.doctor_notes for delete to authenticated using (true)")
    assert [f.object for f in found(db, "write-policy-always-true")] == ["wide on doctor_notes"]


def test_partial_index_on_not_null_covers_a_foreign_key(db):
    db.execute(
        "create table public.doctor_tags (id bigint primary key, project_id uuid references public.projects (id));"
        "alter table public.doctor_tags enable row level security;"
        "create index doctor_tags_live on public.doctor_tags (project_id) where id > 10;"
    )
    tags = lambda: [f for f in found(db, "unindexed-foreign-key") if f.object == "doctor_tags"]  # noqa: E731
    assert tags(), "a partial index with another predicate does not serve the lookups"
    db.execute("create index doctor_tags_project on public.doctor_tags (project_id) where project_id is not null")
    assert tags() == []


def test_composite_foreign_key_needs_its_columns_leading(db):
    db.execute(
        "create table public.doctor_parent (a int, b int, primary key (a, b));"
        "create table public.doctor_child (id bigint primary key, a int, b int,"
        "  foreign key (a, b) references public.doctor_parent (a, b));"
        "alter table public.doctor_parent enable row level security;"
        "alter table public.doctor_child enable row level security;"
        "create index doctor_child_b on public.doctor_child (b, id);"
    )
    child = lambda: [f for f in found(db, "unindexed-foreign-key") if f.object == "doctor_child"]  # noqa: E731
    assert child()
    db.execute("create index doctor_child_ba on public.doctor_child (b, a)")
    assert child() == []


def test_definer_rpc_that_checks_the_caller_is_fine_for_authenticated(db):
    db.execute(
        "create function public.doctor_rpc() returns uuid language plpgsql security definer set search_path = ''"
        " as $$ begin return private.doctor_who(); end $$;"
        "create function private.doctor_who() returns uuid language sql stable set search_path = ''"
        " as 'select auth.uid()';"
        "revoke execute on function public.doctor_rpc() from public, anon;"
        "grant execute on function public.doctor_rpc() to authenticated;"
    )
    assert found(db, "security-definer-function-executable") == []
    db.execute(
        "create or replace function private.doctor_who() returns uuid language sql stable set search_path = ''"
        " as 'select gen_random_uuid()'"
    )
    [finding] = found(db, "security-definer-function-executable")
    assert "never checks who is calling" in finding.message
    db.execute("grant execute on function public.doctor_rpc() to anon")
    [finding] = found(db, "security-definer-function-executable")
    assert "anon" in finding.message


def test_security_invoker_view_over_auth_users_is_not_exposed(db):
    db.execute("create view public.doctor_users with (security_invoker = true) as select id from auth.users")
    assert found(db, "auth-users-exposed") == []
    db.execute("grant select on auth.users to authenticated")
    assert [f.message for f in found(db, "auth-users-exposed")] == ["reads auth.users and is readable by authenticated"]


def test_called_names_reads_plpgsql_with_the_scanner():
    body = (
        "declare caller uuid := auth.uid(); begin perform private.require_org_role(x, '{admin}', 'a');"
        " raise exception 'auth.jwt() %', 1; insert into public.t (a) values (\"Odd\".\"Fn\"(1)); end"
    )
    names = called_names(body)
    assert {"auth.uid", "private.require_org_role", "Odd.Fn"} <= names
    assert "auth.jwt" not in names  # inside a string constant


def test_callers_checked_follows_calls_transitively():
    functions = [
        {"qualified": "public.a", "body": "select private.b()"},
        {"qualified": "private.b", "body": "select c()"},
        {"qualified": "private.c", "body": "select current_setting('request.jwt.claims', true)"},
        {"qualified": "public.d", "body": "select 1"},
    ]
    assert callers_checked(functions) == {"public.a", "private.b", "private.c"}


def test_doctor_never_writes(db):
    db.execute("create table public.doctor_notes (id bigint primary key)")
    diagnose(db)
    assert db.execute("select relrowsecurity from pg_class where oid = 'public.doctor_notes'::regclass").fetchone()[0] is False
    assert not db.info.transaction_status  # idle: the read-only transaction ended


def test_failing_threshold(db):
    db.execute("create table public.doctor_notes (id bigint primary key); alter table public.doctor_notes enable row level security")
    findings = diagnose(db)
    assert failing(findings, Level.INFO) and not failing(findings, Level.WARN)


# --- the checks issue 12 added --------------------------------------------------------------


def test_definer_without_membership_check_accepts_a_membership_check_through_a_helper(db):
    db.execute(
        "create function private.doctor_is_member(org uuid) returns boolean language sql stable security definer\n"
        "  set search_path = '' as $$ select exists (select 1 from public.organization_members m\n"
        "  where m.organization_id = org and m.user_id = auth.uid()) $$;\n"
        "create function public.doctor_project_names(org uuid) returns setof text language plpgsql stable\n"
        "  security definer set search_path = '' as $$ begin\n"
        "  if not private.doctor_is_member(org) then raise exception 'not a member'; end if;\n"
        "  return query select p.name from public.projects p where p.organization_id = org; end $$;\n"
        "revoke execute on function public.doctor_project_names(uuid) from public, anon;"
    )
    assert found(db, "definer-without-membership-check") == []
    # Asking only whether someone is signed in is not a membership check.
    db.execute(
        "create function public.doctor_any_projects() returns setof text language sql stable security definer\n"
        "  set search_path = '' as $$ select p.name from public.projects p where auth.uid() is not null $$;\n"
        "revoke execute on function public.doctor_any_projects() from public, anon;"
    )
    [finding] = found(db, "definer-without-membership-check")
    assert finding.object == "doctor_any_projects()" and "public.projects" in finding.message


def test_definer_without_membership_check_ignores_what_authenticated_cannot_run(db):
    db.execute(
        "create function public.doctor_all_projects() returns setof text language sql stable security definer\n"
        "  set search_path = '' as $$ select p.name from public.projects p $$;\n"
        "revoke execute on function public.doctor_all_projects() from public, anon, authenticated;"
    )
    assert found(db, "definer-without-membership-check") == []


def test_rls_enabled_no_policy_in_any_schema(db):
    db.execute("create schema internal; create table internal.jobs (id bigint primary key);"
               "alter table internal.jobs enable row level security")
    [finding] = [f for f in found(db, "rls-enabled-no-policy") if f.object == "internal.jobs"]
    assert finding.level == Level.INFO and "bypass RLS" in finding.message


def test_statement_timeout_missing_on_the_authenticator(db):
    db.execute("alter role authenticator reset statement_timeout")
    try:
        assert [f.object for f in found(db, "api-role-without-statement-timeout")] == ["authenticator"]
        db.execute("alter role authenticator set statement_timeout = 0")
        assert [f.object for f in found(db, "api-role-without-statement-timeout")] == ["authenticator"]
    finally:
        db.execute("alter role authenticator set statement_timeout = '8s'")
    assert found(db, "api-role-without-statement-timeout") == []


def test_unbounded_text_only_where_api_callers_write(db):
    db.execute("create table public.doctor_log (id bigint primary key, line text, meta jsonb, code varchar(10));"
               "alter table public.doctor_log enable row level security")
    assert sorted(f.object for f in found(db, "unbounded-text-column")) == ["doctor_log.line", "doctor_log.meta"]
    db.execute("alter table public.doctor_log add constraint doctor_log_meta_size check (octet_length(meta::text) <= 4096);"
               "revoke insert, update on public.doctor_log from anon, authenticated;"
               "grant insert (id, code) on public.doctor_log to authenticated")
    assert found(db, "unbounded-text-column") == []
