"""Every lint rule: its id, why it matters, the safe way (its fix), and a dangerous/safe example pair.

The examples are the rule's contract: tests lint `bad` (the rule must fire) and
`good` (nothing may fire), and docs/lint.md shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..findings import Registry, Rule
from .source import FileKind

ALL_KINDS = frozenset(FileKind)
NOT_ROLLBACK = frozenset({FileKind.MIGRATION, FileKind.REPEATABLE, FileKind.OTHER})
FORWARD_ONLY = frozenset({FileKind.MIGRATION, FileKind.OTHER})
MIGRATION_ONLY = frozenset({FileKind.MIGRATION})
# Versioned files, forward and back: a rollback's DROP TABLE locks like any migration's.
VERSIONED = frozenset({FileKind.MIGRATION, FileKind.ROLLBACK, FileKind.OTHER})


@dataclass(frozen=True)
class LintRule(Rule):
    """A rule of the lint: the file kinds it applies to, and how it is reported and suppressed."""

    docs_page: str = field(default="docs/lint.md", repr=False)
    kinds: frozenset[FileKind] = ALL_KINDS
    file_level: bool = False    # reported at line 1; suppressed from the file's header comments
    suppressible: bool = True

    @property
    def safe(self) -> str:
        """The lint's word for the fix: the safe way to make the change."""
        return self.fix


_TIMEOUT = "set lock_timeout = '5s';\n"

RULES: tuple[LintRule, ...] = (
    # --- changes that break running clients or lose data -------------------------------
    LintRule(
        "drop-column", "breaking", "dropping a column",
        why="The data is gone, and every client still selecting or writing the column "
            "(deployed app code, PostgREST `select=` lists, views) fails at once.",
        fix="Expand/contract: stop reading and writing the column in a release, then drop it "
            "in a later migration with a suppression that says the code no longer uses it.",
        bad=_TIMEOUT + "alter table public.projects drop column name;\n",
        good=_TIMEOUT + "-- supakit-lint: ignore drop-column -- app stopped using name in release 42\n"
             "alter table public.projects drop column name;\n",
        kinds=NOT_ROLLBACK,
    ),
    LintRule(
        "drop-table", "breaking", "dropping a table or a schema",
        why="Its rows are gone, and every client and view using it fails. A schema drop "
            "takes all of its tables with it.",
        fix="Stop using the table first; drop it in a later migration with an explained "
            "suppression (rollback files may drop what their migration created).",
        bad=_TIMEOUT + "drop table public.projects;\n",
        good=_TIMEOUT + "-- supakit-lint: ignore drop-table -- replaced by public.workspaces since release 40\n"
             "drop table public.projects;\n",
        kinds=NOT_ROLLBACK,
    ),
    LintRule(
        "rename-column", "breaking", "renaming a column",
        why="Clients using the old name break the moment the migration commits; PostgREST "
            "exposes column names as the API.",
        fix="Add the new column, write both, backfill, move readers, then drop the old one; "
            "or keep the old name visible through a view during the transition.",
        bad=_TIMEOUT + "alter table public.projects rename column name to title;\n",
        good=_TIMEOUT + "alter table public.projects add column title text;\n",
        kinds=NOT_ROLLBACK,
    ),
    LintRule(
        "rename-table", "breaking", "renaming a table or view",
        why="Clients using the old name break at once; PostgREST exposes table names as URLs.",
        fix="Create the new table (or a view with the new name) and move clients before "
            "removing the old name.",
        bad=_TIMEOUT + "alter table public.projects rename to workspaces;\n",
        good="create view public.workspaces with (security_invoker = true) as select * from public.projects;\n",
        kinds=NOT_ROLLBACK,
    ),
    # --- statements that lock or rewrite a table that is in use --------------------------
    LintRule(
        "set-not-null", "locking", "`set not null` on an existing column",
        why="Postgres scans the whole table to prove there is no null, holding an ACCESS "
            "EXCLUSIVE lock: no reads or writes for the duration.",
        fix="Add `check (col is not null) not valid`, then (in a later migration) `validate "
            "constraint` (no write lock), then `set not null`, which Postgres 12+ proves from "
            "the validated check without a scan; then drop the check.",
        bad=_TIMEOUT + "alter table public.projects alter column name set not null;\n",
        good="-- transactional: false\n" + _TIMEOUT
             + "alter table public.projects add constraint projects_name_not_null\n"
             "  check (name is not null) not valid;\n"
             "alter table public.projects validate constraint projects_name_not_null;\n"
             "alter table public.projects alter column name set not null;\n"
             "alter table public.projects drop constraint projects_name_not_null;\n",
    ),
    LintRule(
        "not-null-column-without-default", "locking", "adding a not-null column without a default",
        why="The statement fails on any table with rows, so it passes on an empty development "
            "database and breaks the production deploy.",
        fix="Add the column with a constant default (instant since Postgres 11), or nullable, "
            "backfill it, then make it not null the safe way.",
        bad=_TIMEOUT + "alter table public.projects add column color text not null;\n",
        good=_TIMEOUT + "alter table public.projects add column color text not null default 'gray';\n",
    ),
    LintRule(
        "volatile-default", "locking", "a new column whose default is computed per row",
        why="A volatile default (random(), gen_random_uuid(), clock_timestamp(), a serial or "
            "identity, a stored generated column) makes Postgres rewrite the whole table under "
            "an ACCESS EXCLUSIVE lock; a constant or stable default (now()) is instant.",
        fix="Add the column without the default (or with a constant one), set the default "
            "afterwards, and backfill existing rows in batches (`supakit backfill`).",
        bad=_TIMEOUT + "alter table public.projects add column token uuid default gen_random_uuid();\n",
        good=_TIMEOUT + "alter table public.projects add column token uuid;\n"
             "alter table public.projects alter column token set default gen_random_uuid();\n",
    ),
    LintRule(
        "change-column-type", "locking", "changing a column's type",
        why="Most type changes rewrite the table and every index on it under an ACCESS "
            "EXCLUSIVE lock, and clients may not expect the new type.",
        fix="Add a column of the new type, write both, backfill, switch readers, drop the old. "
            "Changes Postgres does without a rewrite (varchar(n) to text or to a longer "
            "varchar) can be suppressed with that reason.",
        bad=_TIMEOUT + "alter table public.projects alter column name type varchar(200);\n",
        good=_TIMEOUT + "alter table public.projects add column name_v2 varchar(200);\n",
    ),
    LintRule(
        "index-without-concurrently", "locking", "`create index` without `concurrently` on an existing table",
        why="A plain CREATE INDEX holds a SHARE lock for the whole build: every insert, update "
            "and delete on the table waits until the index is built.",
        fix="`create index concurrently` in a migration with `-- transactional: false` "
            "(tables created in the same file are new and empty: no need there).",
        bad=_TIMEOUT + "create index projects_name_idx on public.projects (name);\n",
        good="-- transactional: false\n"
             "create index concurrently if not exists projects_name_idx on public.projects (name);\n",
    ),
    LintRule(
        "drop-index-without-concurrently", "locking", "`drop index` without `concurrently`",
        why="DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table; queued behind a "
            "long query it blocks every read and write of that table.",
        fix="`drop index concurrently` in a migration with `-- transactional: false`.",
        bad=_TIMEOUT + "drop index public.projects_name_idx;\n",
        good="-- transactional: false\ndrop index concurrently if exists public.projects_name_idx;\n",
    ),
    LintRule(
        "concurrently-in-transaction", "locking", "`concurrently` inside a transactional migration",
        why="CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot run inside a "
            "transaction block: the migration fails on deploy. Repeatables always run in one "
            "transaction.",
        fix="Put the statement in its own versioned migration whose header has "
            "`-- transactional: false` (and make it idempotent: `if not exists`).",
        bad="create index concurrently projects_name_idx on public.projects (name);\n",
        good="-- transactional: false\n"
             "create index concurrently if not exists projects_name_idx on public.projects (name);\n",
    ),
    LintRule(
        "constraint-without-not-valid", "locking", "a foreign key or check constraint added without `not valid`",
        why="Adding it checks every existing row while holding a lock that blocks writes (a "
            "foreign key also locks the referenced table).",
        fix="Add it `not valid` (only new rows are checked, instantly), then `validate "
            "constraint` in a later migration: validation takes a lock that lets reads and "
            "writes continue.",
        bad=_TIMEOUT + "alter table public.projects add constraint projects_owner_fkey\n"
            "  foreign key (owner_id) references public.profiles (id);\n",
        good=_TIMEOUT + "alter table public.projects add constraint projects_owner_fkey\n"
             "  foreign key (owner_id) references public.profiles (id) not valid;\n",
    ),
    LintRule(
        "validate-in-same-transaction", "locking", "validating a constraint in the transaction that added it `not valid`",
        why="The ADD took an ACCESS EXCLUSIVE (or SHARE ROW EXCLUSIVE) lock that is held until "
            "commit, so the validation scan runs under it: `not valid` bought nothing.",
        fix="Validate in a later migration (or in a `-- transactional: false` one).",
        bad=_TIMEOUT + "alter table public.projects add constraint projects_name_length\n"
            "  check (char_length(name) <= 100) not valid;\n"
            "alter table public.projects validate constraint projects_name_length;\n",
        good=_TIMEOUT + "alter table public.projects validate constraint projects_name_length;\n",
    ),
    LintRule(
        "unique-constraint-without-index", "locking", "a unique or primary key constraint not built from a concurrent index",
        why="ADD CONSTRAINT ... UNIQUE / PRIMARY KEY builds its index while holding an ACCESS "
            "EXCLUSIVE lock on the table: no reads or writes until it is done.",
        fix="`create unique index concurrently` first (non-transactional migration), then "
            "`add constraint ... unique using index` (or `primary key using index`), which is instant.",
        bad=_TIMEOUT + "alter table public.projects add constraint projects_name_key unique (name);\n",
        good=_TIMEOUT + "alter table public.projects add constraint projects_name_key\n"
             "  unique using index projects_name_key;\n",
    ),
    LintRule(
        "missing-lock-timeout", "locking", "a strong lock on an existing table with no `lock_timeout` set before it",
        why="A statement that needs a strong lock waits behind any long-running query on the "
            "table, and while it waits every other query on that table queues behind it: a "
            "brief DDL becomes an outage. Includes a foreign key to an existing table, which "
            "locks the referenced table against writes. Rollback files too: dropping a table "
            "or a trigger takes ACCESS EXCLUSIVE on it (and on the tables it references).",
        fix="Start the migration with `set lock_timeout = '5s';` (or `set local` in a "
            "transactional migration) so the statement gives up instead, and retry the deploy.",
        bad="alter table public.projects add column color text;\n",
        good="set lock_timeout = '5s';\nalter table public.projects add column color text;\n",
        kinds=VERSIONED,
    ),
    LintRule(
        "transaction-control", "locking", "BEGIN, COMMIT or ROLLBACK inside a transactional migration",
        why="The migrator already runs the file in one transaction: a COMMIT ends it early, so a "
            "later failure leaves the migration half applied and not recorded, and a ROLLBACK "
            "silently discards what came before.",
        fix="Remove them (the whole file is one transaction), or make the migration "
            "`-- transactional: false` and group statements with your own BEGIN/COMMIT.",
        bad="begin;\ncreate table private.jobs (id bigint primary key);\ncommit;\n",
        good="create table private.jobs (id bigint primary key);\n",
    ),
    # --- Supabase: what keeps the API secure and fast ----------------------------------
    LintRule(
        "table-without-rls", "supabase", "a table in an exposed schema without row level security",
        why="PostgREST serves every table in an exposed schema, and Supabase grants them to "
            "anon and authenticated: without RLS anyone with the anon key reads and writes every row.",
        fix="`alter table ... enable row level security;` in the same migration that creates "
            "the table, and policies for what callers may do.",
        bad="create table public.notes (id bigint primary key, body text);\n",
        good="create table public.notes (id bigint primary key, body text);\n"
             "alter table public.notes enable row level security;\n",
    ),
    LintRule(
        "policy-without-role", "supabase", "a policy without `to <role>`",
        why="Without `to`, a policy applies to every role, anon included, and Postgres evaluates "
            "it for callers it was never meant for.",
        fix="Name the roles: `to authenticated` (or `to anon`, `to service_role`).",
        bad=_TIMEOUT + "create policy notes_read on public.notes for select\n"
            "  using (owner_id = (select auth.uid()));\n",
        good=_TIMEOUT + "create policy notes_read on public.notes for select to authenticated\n"
             "  using (owner_id = (select auth.uid()));\n",
    ),
    LintRule(
        "policy-auth-call-per-row", "supabase",
        "`auth.uid()` / `auth.jwt()` / `current_setting()` in a policy, not wrapped in `(select ...)`",
        why="Called bare, the function runs (and parses the JWT claims) for every row the "
            "policy checks; wrapped as `(select auth.uid())` Postgres runs it once per query.",
        fix="Write `(select auth.uid())`, `(select auth.jwt()) ->> 'x'`: a select without FROM "
            "and without references to the row.",
        bad=_TIMEOUT + "create policy notes_read on public.notes for select to authenticated\n"
            "  using (owner_id = auth.uid());\n",
        good=_TIMEOUT + "create policy notes_read on public.notes for select to authenticated\n"
             "  using (owner_id = (select auth.uid()));\n",
    ),
    LintRule(
        "policy-user-metadata", "supabase", "a policy that reads `user_metadata`",
        why="`user_metadata` (raw_user_meta_data) is editable by the user themself through the "
            "Auth API: a policy trusting it lets anyone grant themselves access.",
        fix="Decide access from tables the user cannot write (memberships, roles) or from "
            "`app_metadata`, which only the service role can set.",
        bad=_TIMEOUT + "create policy notes_admin on public.notes for all to authenticated\n"
            "  using (((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');\n",
        good=_TIMEOUT + "create policy notes_admin on public.notes for all to authenticated\n"
             "  using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');\n",
    ),
    LintRule(
        "security-definer-without-search-path", "supabase", "a security-definer function without `set search_path`",
        why="It runs with its owner's rights but resolves names through the caller's "
            "search_path: a caller who can create an object earlier on that path makes it run "
            "their code as the owner.",
        fix="Add `set search_path = ''` and schema-qualify every name in the body "
            "(`public.profiles`, `pg_catalog.now()`).",
        bad="create function private.is_admin() returns boolean language sql security definer stable\n"
            "  as $$ select true $$;\n",
        good="create function private.is_admin() returns boolean language sql security definer stable\n"
             "  set search_path = '' as $$ select true $$;\n",
    ),
    LintRule(
        "view-without-security-invoker", "supabase", "a view in an exposed schema without `security_invoker`",
        why="A view runs with its owner's rights by default, so it bypasses the RLS of the "
            "tables it reads: through the API it shows every row to everyone it is granted to.",
        fix="`create view ... with (security_invoker = true) as ...` (Postgres 15+), so the "
            "caller's RLS applies. A materialized view has no such option (nor RLS): keep it "
            "out of exposed schemas.",
        bad="create view public.active_projects as\n  select * from public.projects where deleted_at is null;\n",
        good="create view public.active_projects with (security_invoker = true) as\n"
             "  select * from public.projects where deleted_at is null;\n",
    ),
    LintRule(
        "needs-superuser", "supabase", "a statement only a superuser may run",
        why="On hosted Supabase migrations run as `postgres`, which is not a superuser: "
            "`alter system`, event triggers, untrusted or C languages, server-side `copy` files "
            "and programs, `load`, and roles with superuser, replication or bypassrls fail there "
            "on deploy, though they pass on a local superuser.",
        fix="Use what Supabase offers instead: `alter database`/`alter role ... set` for settings, "
            "trusted languages (sql, plpgsql), extensions from the dashboard, `copy ... from stdin`.",
        bad="alter system set work_mem = '64MB';\n",
        good="alter role authenticated set statement_timeout = '8s';\n",
        kinds=NOT_ROLLBACK,
    ),
    LintRule(
        "missing-rollback", "supabase", "a versioned migration without its rollback",
        why="`supakit rollback` refuses to undo a migration whose NNNN_name.rollback.sql is "
            "missing, and an empty rollback silently undoes nothing.",
        fix="Write NNNN_name.rollback.sql next to the migration, undoing it in reverse order "
            "(`supakit new` creates both files).",
        kinds=MIGRATION_ONLY,
        file_level=True,
    ),
    # --- about the lint itself ----------------------------------------------------------
    LintRule(
        "parse-error", "meta", "the file is not valid SQL",
        why="Postgres' own parser rejects it, so the migration would fail, and no other rule "
            "could check it.",
        fix="Fix the syntax error at the reported line.",
        bad="create tabel public.notes (id bigint);\n",
        good="select 1;\n",
        suppressible=False,
    ),
    LintRule(
        "invalid-suppression", "meta", "a suppression without a reason, or naming an unknown rule",
        why="A suppression is a decision someone must be able to review: without a reason it "
            "is ignored, and the finding it meant to silence is reported too.",
        fix="`-- supakit-lint: ignore <rule-id> -- <why this is safe here>` on the line(s) "
            "directly above the statement.",
        bad=_TIMEOUT + "-- supakit-lint: ignore drop-column\nalter table public.projects drop column name;\n",
        good=_TIMEOUT + "-- supakit-lint: ignore drop-column -- column unused since release 42\n"
             "alter table public.projects drop column name;\n",
        suppressible=False,
    ),
    LintRule(
        "unused-suppression", "meta", "a suppression that silences nothing",
        why="It no longer matches a finding (the statement changed, or it is not directly "
            "above the statement), and would silently hide a future one.",
        fix="Remove it, or move it to the comment lines directly above the statement.",
        bad="-- supakit-lint: ignore drop-table -- legacy table\nselect 1;\n",
        good="select 1;\n",
        suppressible=False,
    ),
)

RULES_BY_ID: Registry[LintRule] = Registry(RULES)
