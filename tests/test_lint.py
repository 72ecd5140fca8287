"""`supakit lint`: every rule fires on its dangerous SQL and stays quiet on the safe rewrite.

The output formats and the command itself are in test_lint_command.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supakit.lint import RULES, RULES_BY_ID, FileKind, LintConfig, lint_paths, lint_text
from supakit.lint.rules import CHECKS
from supakit.lint.output import human

from helpers import ROOT
from helpers.lint import TIMEOUT, rules_of, write


# --- the catalog's examples are each rule's contract ---------------------------------------

EXAMPLED = [r for r in RULES if r.bad]


@pytest.mark.parametrize("rule", EXAMPLED, ids=[r.id for r in EXAMPLED])
def test_rule_fires_on_its_bad_example(rule):
    assert rule.id in rules_of(rule.bad), rule.bad


@pytest.mark.parametrize("rule", EXAMPLED, ids=[r.id for r in EXAMPLED])
def test_safe_example_is_clean(rule):
    assert lint_text(rule.good) == [], rule.good


def test_every_rule_has_a_check_or_is_the_engines():
    engine_rules = {"parse-error", "invalid-suppression", "unused-suppression"}
    assert set(CHECKS) | engine_rules == set(RULES_BY_ID)
    assert all(r.why and r.safe and r.summary for r in RULES)
    assert all(r.bad and r.good for r in RULES if r.id != "missing-rollback")


def test_docs_list_every_rule_with_its_examples():
    docs = (ROOT / "docs" / "lint.md").read_text()
    for rule in RULES:
        assert f"### `{rule.id}`" in docs, rule.id
        assert rule.bad.rstrip("\n") in docs and rule.good.rstrip("\n") in docs, f"docs/lint.md: {rule.id}'s examples"


# --- our own SQL ------------------------------------------------------------------------------


def test_our_sql_passes():
    """What `supakit lint` checks by default: migrations, functions, policies (pgTAP files
    are tests, with their own begin/rollback)."""
    from supakit.project import load_project

    findings, checked = lint_paths(load_project(ROOT).sql_dirs + [ROOT / "sql" / "bootstrap"])
    assert checked > 10
    assert findings == [], human(findings, checked)


# --- existing versus new tables ------------------------------------------------------------------


def test_table_created_in_the_same_file_is_new():
    sql = (
        "create table public.notes (id bigint primary key, body text, owner uuid);\n"
        "alter table public.notes enable row level security;\n"
        "create index notes_owner_idx on public.notes (owner);\n"
        "alter table public.notes alter column body set not null;\n"
        "alter table public.notes add column color text not null;\n"
        "alter table public.notes add column token uuid default gen_random_uuid();\n"
        "alter table public.notes alter column body type varchar(10);\n"
        "alter table public.notes add constraint notes_body_len check (char_length(body) < 9);\n"
        "alter table public.notes add constraint notes_body_key unique (body);\n"
        "alter table public.notes rename column color to colour;\n"
        "alter table public.notes drop column colour;\n"
        "drop index public.notes_owner_idx;\n"
    )
    assert rules_of(sql) == []


def test_the_same_statements_on_an_existing_table_fire():
    sql = TIMEOUT + (
        "create index notes_owner_idx on public.notes (owner);\n"
        "alter table public.notes alter column body set not null;\n"
        "alter table public.notes add column color text not null;\n"
        "alter table public.notes add column token uuid default gen_random_uuid();\n"
        "alter table public.notes alter column body type varchar(10);\n"
        "alter table public.notes add constraint notes_body_len check (char_length(body) < 9);\n"
        "alter table public.notes add constraint notes_body_key unique (body);\n"
        "alter table public.notes rename column color to colour;\n"
        "alter table public.notes drop column colour;\n"
        "drop index public.notes_body_idx;\n"  # created by an earlier migration
        "drop index public.notes_owner_idx;\n"  # created above, in this file: fine
    )
    assert rules_of(sql) == [
        "index-without-concurrently", "set-not-null", "not-null-column-without-default", "volatile-default",
        "change-column-type", "constraint-without-not-valid", "unique-constraint-without-index",
        "rename-column", "drop-column", "drop-index-without-concurrently",
    ]


def test_unqualified_names_are_public():
    sql = "create table notes (id bigint primary key);\ncreate index on notes (id);\n"
    assert rules_of(sql) == ["table-without-rls"]


# --- individual rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column, fires",
    [
        ("n serial", True),
        ("n bigint generated always as identity", True),
        ("n int generated always as (1 + 1) stored", True),
        ("t timestamptz default now()", False),
        ("t timestamptz default current_timestamp", False),
        ("t timestamptz default clock_timestamp()", True),
        ("s jsonb default '{}'::jsonb", False),
        ("u uuid default (select auth.uid())", False),
        ("x int default my_function()", True),
    ],
)
def test_volatile_default(column, fires):
    findings = lint_text(TIMEOUT + f"alter table public.t add column {column};\n")
    assert ("volatile-default" in [f.rule for f in findings]) is fires, findings
    if column.endswith("my_function()"):
        assert "may be volatile" in findings[0].message


def test_not_null_column_with_default_or_identity_is_fine():
    sql = TIMEOUT + (
        "alter table public.t add column a text not null default 'x';\n"
        "alter table public.t add column b text;\n"
    )
    assert rules_of(sql) == []
    assert rules_of(TIMEOUT + "alter table public.t add column c int primary key;\n") == [
        "not-null-column-without-default", "unique-constraint-without-index",
    ]


def test_inline_foreign_key_on_a_new_column_is_validated_at_once():
    sql = TIMEOUT + "alter table public.t add column owner uuid references public.profiles (id);\n"
    assert rules_of(sql) == ["constraint-without-not-valid"]


def test_primary_key_using_index_is_fine():
    sql = TIMEOUT + "alter table public.t add constraint t_pkey primary key using index t_id_key;\n"
    assert rules_of(sql) == []


def test_set_not_null_proven_by_a_check_validated_earlier(tmp_path):
    # docs/zero-downtime.md, phases 5 and 6: the check is added in one migration and
    # validated in the next, whose `set not null` Postgres proves without a scan.
    migrations = tmp_path / "sql" / "migrations"
    write(migrations, "0008_check_name.sql", TIMEOUT + (
        "alter table public.customers\n"
        "  add constraint customers_first_name_present check (first_name is not null) not valid;\n"
    ))
    write(migrations, "0009_require_name.sql", "-- depends: 0008_check_name\n" + TIMEOUT + (
        "alter table public.customers validate constraint customers_first_name_present;\n"
        "alter table public.customers alter column first_name set not null;\n"
        "alter table public.customers alter column last_name set not null;\n"
        "alter table public.customers drop constraint customers_first_name_present;\n"
    ))
    for name in ("0008_check_name", "0009_require_name"):
        write(migrations, f"{name}.rollback.sql", "select 1;\n")
    findings, _ = lint_paths([migrations])
    assert [(Path(f.path).name, f.line, f.rule) for f in findings] == [
        ("0009_require_name.sql", 5, "set-not-null"),  # last_name has no validated check
    ]


def test_validate_in_a_non_transactional_migration_is_fine():
    sql = "-- transactional: false\n" + TIMEOUT + (
        "alter table public.t add constraint t_fk foreign key (a) references public.u (id) not valid;\n"
        "alter table public.t validate constraint t_fk;\n"
    )
    assert rules_of(sql) == []
    assert rules_of(sql.replace("-- transactional: false\n", "")) == ["validate-in-same-transaction"]


@pytest.mark.parametrize(
    "statement",
    [
        "create index concurrently i on public.t (a);",
        "drop index concurrently public.i;",
        "reindex index concurrently public.i;",
    ],
)
def test_concurrently_needs_a_non_transactional_migration(statement):
    assert rules_of(statement + "\n") == ["concurrently-in-transaction"]
    assert rules_of("-- transactional: FALSE\n" + statement + "\n") == []


def test_transaction_control_only_in_transactional_files():
    sql = "begin;\nsavepoint a;\nrelease a;\ncommit;\n"
    assert [(f.line, f.rule) for f in lint_text(sql)] == [(1, "transaction-control"), (4, "transaction-control")]
    assert rules_of("-- transactional: false\n" + sql) == []


def test_repeatables_always_run_in_a_transaction():
    sql = "-- transactional: false\ncreate index concurrently i on public.t (a);\n"
    assert rules_of(sql, path="sql/functions/010_x.sql", kind=FileKind.REPEATABLE) == ["concurrently-in-transaction"]


@pytest.mark.parametrize(
    "setting, counts",
    [
        ("set lock_timeout = '5s';", True),
        ("set lock_timeout to 5000;", True),
        ("set local lock_timeout = '5s';", True),
        ("select set_config('lock_timeout', '5s', true);", True),
        ("set lock_timeout = 0;", False),
        ("set lock_timeout = '0ms';", False),
        ("set lock_timeout = '5s'; reset lock_timeout;", False),
        ("set lock_timeout = '5s'; set lock_timeout to default;", False),
        ("set statement_timeout = '5s';", False),
    ],
)
def test_lock_timeout_settings(setting, counts):
    sql = f"{setting}\nalter table public.t add column a text;\n"
    assert ("missing-lock-timeout" not in rules_of(sql)) is counts


def test_set_local_does_nothing_outside_a_transaction():
    sql = "-- transactional: false\nset local lock_timeout = '5s';\nalter table public.t add column a text;\n"
    assert rules_of(sql) == ["missing-lock-timeout"]


@pytest.mark.parametrize(
    "statement, locked",
    [
        ("create table public.n (id bigint primary key, p uuid references public.profiles (id));", "public.profiles (SHARE ROW EXCLUSIVE)"),
        ("create trigger t before update on public.profiles for each row execute function f();", "public.profiles (SHARE ROW EXCLUSIVE)"),
        ("create policy p on public.profiles for select to authenticated using (true);", "public.profiles (ACCESS EXCLUSIVE)"),
        ("drop policy if exists p on public.profiles;", "public.profiles (ACCESS EXCLUSIVE)"),
        ("alter table public.profiles enable row level security;", "public.profiles (ACCESS EXCLUSIVE)"),
        ("truncate public.profiles;", "public.profiles (ACCESS EXCLUSIVE)"),
        ("lock table public.profiles in share mode;", "public.profiles (explicit LOCK)"),
    ],
)
def test_strong_locks_need_a_lock_timeout(statement, locked):
    [finding] = [f for f in lint_text(statement + "\n") if f.rule == "missing-lock-timeout"]
    assert locked in finding.message


@pytest.mark.parametrize(
    "statement",
    [
        "alter table public.t validate constraint c;",
        "create index concurrently if not exists i on public.t (a);",
        "create table public.n (id bigint primary key);",
        "select 1;",
        "grant select on public.t to authenticated;",
        "comment on table public.t is 'x';",
    ],
)
def test_weak_locks_need_no_lock_timeout(statement):
    sql = "-- transactional: false\n" + statement + "\n"
    assert "missing-lock-timeout" not in rules_of(sql)


def test_foreign_key_to_a_table_created_in_the_same_file_is_not_a_lock():
    sql = (
        "create table public.a (id bigint primary key);\n"
        "create table public.b (id bigint primary key, a bigint references public.a (id));\n"
        "alter table public.a enable row level security;\nalter table public.b enable row level security;\n"
    )
    assert rules_of(sql) == []


def test_drop_schema_only_with_cascade():
    assert rules_of("drop schema old_stuff;\n") == []
    assert rules_of("drop schema old_stuff cascade;\n") == ["drop-table"]


# --- Supabase rules --------------------------------------------------------------------------------


def test_rls_only_in_exposed_schemas():
    sql = "create table api.things (id bigint primary key);\ncreate table private.jobs (id bigint primary key);\n"
    assert rules_of(sql) == []
    assert rules_of(sql, config=LintConfig(frozenset({"public", "api"}))) == ["table-without-rls"]
    assert rules_of("create temporary table scratch (id int);\n") == []


def test_disabling_rls_fires():
    assert "table-without-rls" in rules_of(TIMEOUT + "alter table public.t disable row level security;\n")


@pytest.mark.parametrize(
    "expression, fires",
    [
        ("user_id = (select auth.uid())", False),
        ("((select auth.jwt()) ->> 'role') = 'admin'", False),
        ("organization_id in (select private.my_org_ids())", False),
        ("user_id = auth.uid()", True),
        ("(select auth.uid() = user_id)", True),  # correlated: runs per row
        ("exists (select 1 from m where m.u = auth.uid())", True),
        ("exists (select 1 from m where m.u = (select auth.uid()))", False),
        ("tenant = current_setting('app.tenant')", True),
        ("auth.role() = 'authenticated'", True),
    ],
)
def test_policy_auth_calls(expression, fires):
    sql = TIMEOUT + f"create policy p on public.t for select to authenticated using ({expression});\n"
    assert ("policy-auth-call-per-row" in rules_of(sql)) is fires


def test_policy_with_check_and_alter_policy_are_checked_too():
    sql = TIMEOUT + (
        "create policy p on public.t for insert to authenticated with check (owner = auth.uid());\n"
        "alter policy q on public.t to public;\n"
    )
    assert rules_of(sql) == ["policy-auth-call-per-row", "policy-without-role"]


def test_explicit_to_public_is_no_role():
    sql = TIMEOUT + "create policy p on public.t for select to public using (true);\n"
    assert rules_of(sql) == ["policy-without-role"]


def test_raw_user_meta_data_in_policy():
    sql = TIMEOUT + (
        "create policy p on public.t for select to authenticated using (exists (select 1 from auth.users u"
        " where u.id = (select auth.uid()) and u.raw_user_meta_data ->> 'admin' = 'true'));\n"
    )
    assert rules_of(sql) == ["policy-user-metadata"]


@pytest.mark.parametrize(
    "options, fires",
    [
        ("security definer", True),
        ("security definer set search_path = ''", False),
        ("security definer set search_path = public, pg_temp", False),
        ("security definer set search_path from current", True),
        ("security invoker", False),
        ("", False),
    ],
)
def test_security_definer_search_path(options, fires):
    sql = f"create function private.f() returns int language sql {options} as $$ select 1 $$;\n"
    assert ("security-definer-without-search-path" in rules_of(sql)) is fires


def test_alter_function_to_security_definer():
    assert rules_of("alter function private.f() security definer;\n") == ["security-definer-without-search-path"]
    assert rules_of("alter function private.f() security definer set search_path = '';\n") == []


def test_views():
    assert rules_of("create view private.v as select 1;\n") == []
    sql = "create view public.v as select 1;\nalter view public.v set (security_invoker = on);\n"
    assert rules_of(sql) == []
    sql = "create or replace view public.v with (security_invoker) as select 1;\n"
    assert rules_of(sql) == []
    sql = "create view public.v with (security_invoker = false) as select 1;\n"
    assert rules_of(sql) == ["view-without-security-invoker"]
    sql = TIMEOUT + "alter view public.v reset (security_invoker);\n"
    assert rules_of(sql) == ["view-without-security-invoker"]
    assert rules_of("create materialized view public.mv as select 1;\n") == ["view-without-security-invoker"]
    assert rules_of("create materialized view private.mv as select 1;\n") == []


# --- files: rollbacks, repeatables, headers -----------------------------------------------------------


def test_rollbacks_may_drop_and_rename(tmp_path):
    migrations = tmp_path / "migrations"
    write(migrations, "0003_notes.sql", "-- transactional: false\ncreate index concurrently if not exists i on public.t (a);\n")
    write(migrations, "0003_notes.rollback.sql", (
        "drop index concurrently if exists public.i;\n"
        "set lock_timeout = '5s';\n"
        "drop table public.notes;\n"
        "alter table public.t drop column a;\n"
        "alter table public.t rename column b to a;\n"
    ))
    findings, checked = lint_paths([migrations])
    assert checked == 2 and findings == []


def test_rollbacks_need_a_lock_timeout_before_dropping(tmp_path):
    # A rollback dropping a table or a trigger takes ACCESS EXCLUSIVE on it (and on the
    # parents its foreign keys and triggers reach): it must not queue behind traffic.
    migrations = tmp_path / "migrations"
    write(migrations, "0003_notes.sql", TIMEOUT + "create table public.notes (id int primary key);\n"
          "alter table public.notes enable row level security;\n")
    write(migrations, "0003_notes.rollback.sql", "drop trigger if exists t on auth.users;\ndrop table public.notes;\n")
    findings, _ = lint_paths([migrations])
    assert [(Path(f.path).name, f.line, f.rule) for f in findings] == [
        ("0003_notes.rollback.sql", 1, "missing-lock-timeout"), ("0003_notes.rollback.sql", 2, "missing-lock-timeout")]
    write(migrations, "0003_notes.rollback.sql", "set local lock_timeout = '5s';\ndrop trigger if exists t on auth.users;\n"
          "drop table public.notes;\n")
    assert lint_paths([migrations])[0] == []


def test_our_rollbacks_set_a_lock_timeout():
    findings, checked = lint_paths([ROOT / "sql" / "migrations"])
    assert checked >= 20 and [f for f in findings if f.rule == "missing-lock-timeout"] == []


def test_rollback_shares_its_migrations_transaction(tmp_path):
    migrations = tmp_path / "migrations"
    write(migrations, "0003_notes.sql", TIMEOUT + "create table public.n (id int primary key);\n"
          "alter table public.n enable row level security;\n")
    write(migrations, "0003_notes.rollback.sql", "drop index concurrently public.i;\n")
    findings, _ = lint_paths([migrations])
    assert [(Path(f.path).name, f.rule) for f in findings] == [("0003_notes.rollback.sql", "concurrently-in-transaction")]


def test_missing_and_empty_rollbacks(tmp_path):
    migrations = tmp_path / "migrations"
    write(migrations, "0001_a.sql", "select 1;\n")
    write(migrations, "0002_b.sql", "select 1;\n")
    write(migrations, "0002_b.rollback.sql", "-- nothing to undo\n")
    findings, _ = lint_paths([migrations])
    assert [(Path(f.path).name, f.line, f.rule) for f in findings] == [
        ("0001_a.sql", 1, "missing-rollback"), ("0002_b.sql", 1, "missing-rollback"),
    ]
    assert "has no statements" in findings[1].message
    # A deliberate one-way migration says so in its header.
    write(migrations, "0001_a.sql", "-- depends:\n-- supakit-lint: ignore missing-rollback -- data fix, nothing to undo\n\nselect 1;\n")
    findings, _ = lint_paths([migrations / "0001_a.sql"])
    assert findings == []


def test_repeatables_do_not_need_lock_timeout():
    sql = "create or replace trigger t before update on public.profiles for each row execute function f();\n"
    assert rules_of(sql, path="sql/functions/010_t.sql", kind=FileKind.REPEATABLE) == []
    assert rules_of(sql, path="sql/migrations/0009_t.sql", kind=FileKind.MIGRATION) == ["missing-lock-timeout", "missing-rollback"]


def test_file_kinds_from_paths(tmp_path):
    from supakit.lint.source import classify

    assert classify(Path("sql/migrations/0001_a.sql")) is FileKind.MIGRATION
    assert classify(Path("sql/migrations/0001_a.rollback.sql")) is FileKind.ROLLBACK
    assert classify(Path("sql/functions/010_x.sql")) is FileKind.REPEATABLE
    assert classify(Path("sql/policies/profiles.sql")) is FileKind.REPEATABLE
    assert classify(Path("sql/bootstrap/supabase_compat.sql")) is FileKind.OTHER
    assert classify(Path("sql/migrations/notes.sql")) is FileKind.OTHER


# --- lines, comments, parse errors ------------------------------------------------------------------


def test_line_numbers_skip_comments_and_count_multibyte_text():
    sql = (
        "-- depends: 0001_x\n"          # 1
        "\n"                            # 2
        "select 'héllo wörld';\n"       # 3
        "/* a block\n   comment */\n"   # 4-5
        "-- a line comment\n"           # 6
        "set lock_timeout = '1s'; alter table public.t\n"  # 7
        "  drop column a;\n"            # 8
    )
    [finding] = lint_text(sql)
    assert (finding.line, finding.rule) == (7, "drop-column")


def test_parse_error_names_the_line():
    findings = lint_text("select 1;\n\nselect 'é' from where;\n")
    assert [(f.line, f.rule) for f in findings] == [(3, "parse-error")]


def test_comments_inside_function_bodies_are_not_suppressions():
    sql = (
        "create function private.f() returns int language plpgsql security definer as $$\n"
        "begin\n  -- supakit-lint: ignore security-definer-without-search-path -- not really\n  return 1;\nend $$;\n"
    )
    assert rules_of(sql) == ["security-definer-without-search-path"]


# --- suppressions -------------------------------------------------------------------------------------


def test_suppression_needs_a_reason_and_then_suppresses_nothing():
    sql = TIMEOUT + "-- supakit-lint: ignore drop-column\nalter table public.t drop column a;\n"
    findings = lint_text(sql)
    assert [f.rule for f in findings] == ["invalid-suppression", "drop-column"]
    assert "gives no reason" in findings[0].message


def test_suppression_of_several_rules_across_comment_lines():
    sql = TIMEOUT + (
        "-- supakit-lint: ignore drop-column, rename-column -- columns unused since v3\n"
        "-- (a second comment line between is fine)\n"
        "alter table public.t drop column a;\n"
    )
    assert rules_of(sql) == ["unused-suppression"]  # rename-column matched nothing


def test_suppression_must_be_directly_above():
    sql = TIMEOUT + "-- supakit-lint: ignore drop-column -- unused\n\nalter table public.t drop column a;\n"
    assert sorted(rules_of(sql)) == ["drop-column", "unused-suppression"]


def test_suppression_covers_only_the_next_statement():
    sql = TIMEOUT + (
        "-- supakit-lint: ignore drop-column -- a is unused\n"
        "alter table public.t drop column a;\n"
        "alter table public.t drop column b;\n"
    )
    assert [(f.line, f.rule) for f in lint_text(sql)] == [(4, "drop-column")]


@pytest.mark.parametrize(
    "comment, message",
    [
        ("-- supakit-lint: ignore no-such-rule -- because", "unknown rule no-such-rule"),
        ("-- supakit-lint: ignore parse-error -- because", "cannot be suppressed"),
        ("-- supakit-lint: skip drop-column -- because", "write it as"),
    ],
)
def test_invalid_suppressions(comment, message):
    findings = lint_text(f"{comment}\nselect 1;\n")
    assert [f.rule for f in findings] == ["invalid-suppression"]
    assert message in findings[0].message
