"""What the audit trail costs writers, side by side in one run.

Bulk writes, in one migrated throwaway database, as the superuser (as a migration
or a backfill runs them: no user, no request headers). Three copies of
public.projects, each `create table ... (like public.projects including all)`:

- bench.projects_plain: no audit;
- bench.projects_audited: the project's statement-level triggers with transition
  tables, `private.enable_audit('bench.projects_audited', 'id', 'organization_id')`;
- bench.projects_row_audited: a ROW-level variant written here (bench.audit_row_*):
  per row, the same insert into public.audit_logs, same columns, same actions,
  same no-op-update rule, same organization lookup; what supa_audit-style
  triggers do.

`like ... including all` copies columns, defaults, checks and indexes but not
foreign keys, so none of the three checks organization_id: the ratios isolate
what the audit adds. (The real table checks it on every insert: see the
breakdown.) In interleaved rounds (each round starts with the next variant;
the copy and audit_logs truncated before each timed statement), medians:

- `bulk_audited_vs_plain`: insert of 100,000 rows in one statement
  (`insert ... select from generate_series`), statement-level / plain
  (target <= 1.5);
- `bulk_row_vs_statement`: the same insert, row-level / statement-level: the
  issue's "measure statement-level against row-level and keep the faster";
- `bulk_update_audited_vs_plain`: an update of all 100,000 rows (a renamed name),
  statement-level / plain.

Server defaults otherwise (JIT on, PostgreSQL's default).

Plan cache (each on a new connection): a static query in a PL/pgSQL trigger is
parse-analysed at its first call in a session, and the transition tables' row
counts are frozen in it then. So an update of 1,000 rows is timed as a session's
first call and after one single-row update (`stale_plan_slowdown`), and
single-row updates after a single-row one and after a 5,000-row one (whose
frozen estimate would make every later call JIT-compile). private.audit_update
now EXECUTEs its query with JIT off, so these checks guard against a regression
of it (a static, cached query would make `stale_plan_slowdown` 30 or more).

Breakdown (each part the fastest of two interleaved runs, rolled back): the
trigger's insert into audit_logs run on its own from the same 100,000 rows, then
cumulatively: without the left join to organizations and into a copy of
audit_logs without its foreign keys, with only its primary key, with no index, with a
bigint identity instead of gen_random_uuid(); to_jsonb and the join to
organizations alone, as a select; each of audit_logs' indexes alone
on the bare copy (and a BRIN on created_at); the plain insert into a copy that
keeps projects' foreign keys (what the real table costs before any audit:
`bulk_audited_vs_plain_with_fks` adds the audit's median overhead to it). And
per single-row insert statement in the database, with a member's JWT claims and
request headers set as PostgREST sets them: plain, statement-level, row-level, statement-level writing to an
audit_logs copy without foreign keys (microseconds).

Single-row inserts through PostgREST: a member (an auth user, an organization and
a `member` membership, made with SQL) sends `POST /rest/v1/projects` (the real,
audited table) and the same POST to public.bench_projects_plain: a copy of
projects with its foreign keys, its RLS policies (copied from pg_policy) and its
grants (as sql/policies/projects.sql sets them), but no audit trigger. One
keep-alive httpx client, `Prefer: return=representation` (what supabase-js's
`.insert(...).select()` sends), alternating requests, medians:
`rest_audited_vs_plain` (target <= 1.15); `rest_trigger_ms`, private.audit_insert's
own time per POST (track_functions, pg_stat_user_functions). Every audited POST
must be logged with its actor, organization and user agent.

Everything runs on a throwaway cluster (`start_local`) torn down at the end.
Run: python bench/audit.py   (last line: one JSON object)
"""

from __future__ import annotations

import json
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from supakit import tokens
from supakit.project import find_project
from supakit.testing import databases
from supakit.providers.local import TEST_SETTINGS, start_local
from supakit.rest import start_rest

BULK_ROWS = 100_000
BULK_ROUNDS = 3  # a round is about 30 s on 2 shared cores: the row-level insert alone is 10 s or more
BULK_ORGS = 100  # the bulk rows' organizations (the audit looks each one up)
REST_WARMUP = 10
REST_REQUESTS = 300  # per table
REST_COPIES = ("bench_projects_plain",)

DBNAME = "bench_audit"
SETTINGS = {
    **TEST_SETTINGS,
    "shared_buffers": "256MB",  # the copies, audit_logs and their indexes fit: no disk in the figures
    "max_wal_size": "4GB",  # no checkpoint forced by the bulk writes
    "autovacuum": "off",  # nothing runs behind the figures
    "track_functions": "pl",  # the audit trigger's own time per REST call (pg_stat_user_functions)
}

MEMBER_ID = "6c6d2a33-0000-4000-8000-00000000be01"
MEMBER_EMAIL = "member@bench.test"

SETUP = f"""
create schema bench;

insert into public.organizations (id, name, slug)
select md5('bulk-org' || o)::uuid, 'Bulk organization ' || o, 'bulk-org-' || o
from generate_series(1, {BULK_ORGS}) o;

create table bench.projects_plain (like public.projects including all);
create table bench.projects_audited (like public.projects including all);
select private.enable_audit('bench.projects_audited', 'id', 'organization_id');
create table bench.projects_row_audited (like public.projects including all);

-- The row-level variant: per row what private.audit_insert / audit_update /
-- audit_delete do per statement (same columns, actions, no-op rule, organization
-- lookup; security definer, search_path pinned). Client and actor per row too:
-- a row trigger has no per-statement state.
create function bench.audit_row_insert()
returns trigger language plpgsql security definer set search_path = '' as $$
declare
  client record := private.request_client();
  nv jsonb := pg_catalog.to_jsonb(new);
begin
  insert into public.audit_logs
    (organization_id, user_id, action, entity_type, entity_id, new_values, ip_address, user_agent)
  select o.id, private.audit_actor(), 'create', tg_table_name, nv ->> tg_argv[0], nv,
         client.ip_address, client.user_agent
  from (select) one
  left join public.organizations o on o.id = (nv ->> nullif(tg_argv[1], ''))::uuid;
  return null;
end;
$$;

create function bench.audit_row_update()
returns trigger language plpgsql security definer set search_path = '' as $$
declare
  client record;
  ov jsonb := pg_catalog.to_jsonb(old);
  nv jsonb := pg_catalog.to_jsonb(new);
  changed text[] := array(
    select e.key from pg_catalog.jsonb_each(nv) e
    where e.key <> 'updated_at' and e.value is distinct from ov -> e.key
    order by e.key);
begin
  if changed = '{{}}' then
    return null;  -- nothing but updated_at changed: no entry
  end if;
  client := private.request_client();
  insert into public.audit_logs
    (organization_id, user_id, action, entity_type, entity_id, old_values, new_values, changed_keys,
     ip_address, user_agent)
  select o.id, private.audit_actor(),
         case
           when ov ->> 'deleted_at' is null and nv ->> 'deleted_at' is not null then 'soft_delete'
           when ov ->> 'deleted_at' is not null and nv ->> 'deleted_at' is null then 'restore'
           else 'update'
         end,
         tg_table_name, nv ->> tg_argv[0], ov, nv, changed, client.ip_address, client.user_agent
  from (select) one
  left join public.organizations o on o.id = (nv ->> nullif(tg_argv[1], ''))::uuid;
  return null;
end;
$$;

create function bench.audit_row_delete()
returns trigger language plpgsql security definer set search_path = '' as $$
declare
  client record := private.request_client();
  ov jsonb := pg_catalog.to_jsonb(old);
begin
  insert into public.audit_logs
    (organization_id, user_id, action, entity_type, entity_id, old_values, ip_address, user_agent)
  select o.id, private.audit_actor(),
         case when ov ->> 'deleted_at' is not null then 'purge' else 'delete' end,
         tg_table_name, ov ->> tg_argv[0], ov, client.ip_address, client.user_agent
  from (select) one
  left join public.organizations o on o.id = (ov ->> nullif(tg_argv[1], ''))::uuid;
  return null;
end;
$$;

create trigger audit_insert after insert on bench.projects_row_audited
  for each row execute function bench.audit_row_insert('id', 'organization_id');
create trigger audit_update after update on bench.projects_row_audited
  for each row execute function bench.audit_row_update('id', 'organization_id');
create trigger audit_delete after delete on bench.projects_row_audited
  for each row execute function bench.audit_row_delete('id', 'organization_id');

-- For the breakdown: projects with its foreign keys (the real table's insert
-- cost), and audit_logs without its foreign keys, then without its indexes.
create table bench.projects_plain_fk (like public.projects including all);
alter table bench.projects_plain_fk
  add foreign key (organization_id) references public.organizations (id) on delete cascade,
  add foreign key (deleted_by) references public.profiles (id) on delete set null;
create table bench.audit_nofk (like public.audit_logs including all);
-- The statement-level trigger writing to that copy, for single-row inserts.
create function bench.audit_insert_nofk()
returns trigger language plpgsql security definer set search_path = '' as $$
declare
  client record := private.request_client();
  actor uuid := private.audit_actor();
begin
  insert into bench.audit_nofk
    (organization_id, user_id, action, entity_type, entity_id, new_values, ip_address, user_agent)
  select o.id, actor, 'create', tg_table_name, r.v ->> tg_argv[0], r.v, client.ip_address, client.user_agent
  from (select pg_catalog.to_jsonb(n) as v from new_rows n) r
  left join public.organizations o on o.id = (r.v ->> nullif(tg_argv[1], ''))::uuid;
  return null;
end;
$$;
create table bench.projects_audited_nofk (like public.projects including all);
create trigger audit_insert after insert on bench.projects_audited_nofk referencing new table as new_rows
  for each statement execute function bench.audit_insert_nofk('id', 'organization_id');
create table bench.audit_pk (like public.audit_logs including defaults including constraints);
alter table bench.audit_pk add primary key (id);
create table bench.audit_bare (like public.audit_logs including defaults including constraints);
create table bench.audit_bigint (like public.audit_logs including defaults including constraints);
alter table bench.audit_bigint alter column id drop default;
alter table bench.audit_bigint alter column id type bigint using null,
  alter column id add generated always as identity;

-- The member of the REST part, its organization and membership.
insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
values ('{MEMBER_ID}', 'authenticated', 'authenticated', '{MEMBER_EMAIL}', '{{"name": "Bench Member"}}',
        '{{"provider": "email", "providers": ["email"]}}', now(), now());
insert into public.organizations (id, name, slug) values (md5('rest-org')::uuid, 'REST organization', 'rest-org');
insert into public.organization_members (organization_id, user_id, role)
values (md5('rest-org')::uuid, '{MEMBER_ID}', 'member');

-- An unaudited projects, exposed like projects: foreign keys, RLS, grants.
create table public.bench_projects_plain (like public.projects including all);
alter table public.bench_projects_plain
  add foreign key (organization_id) references public.organizations (id) on delete cascade,
  add foreign key (deleted_by) references public.profiles (id) on delete set null;
alter table public.bench_projects_plain enable row level security;
revoke insert, update on public.bench_projects_plain from anon, authenticated;
grant insert (id, name, organization_id) on public.bench_projects_plain to authenticated;
grant update (name) on public.bench_projects_plain to authenticated;
revoke truncate, references, trigger on public.bench_projects_plain from anon, authenticated;
"""

# projects' policies, recreated on a copy (TARGET) from the catalog (so they are the same
# whatever sql/policies/projects.sql says today).
COPY_POLICIES = """
select format('create policy %I on public.TARGET as %s for %s to %s%s%s',
              p.polname,
              case when p.polpermissive then 'permissive' else 'restrictive' end,
              case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                            when 'd' then 'delete' else 'all' end,
              (select string_agg(quote_ident(r.rolname), ', ') from pg_roles r where r.oid = any (p.polroles)),
              coalesce(' using (' || pg_get_expr(p.polqual, p.polrelid) || ')', ''),
              coalesce(' with check (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', ''))
from pg_policy p where p.polrelid = 'public.projects'::regclass order by p.polname
"""

INSERT = ("insert into {table} (name, organization_id) "
          f"select 'Project ' || g, md5('bulk-org' || (g % {BULK_ORGS} + 1))::uuid "
          f"from generate_series(1, {BULK_ROWS}) g")
UPDATE = "update {table} set name = name || ' (renamed)'"

INSERT_VARIANTS = {
    "plain": "bench.projects_plain",
    "statement": "bench.projects_audited",
    "row": "bench.projects_row_audited",
}
UPDATE_VARIANTS = {
    "plain": "bench.projects_plain",
    "statement": "bench.projects_audited",
}
BREAKDOWN_ROUNDS = 2  # the breakdown's parts: the fastest of this many interleaved runs
SINGLE_ROWS = 2_000  # single-row inserts per variant and round, in the database
SINGLE_VARIANTS = {
    "plain": "bench.projects_plain",
    "statement-level": "bench.projects_audited",
    "row-level": "bench.projects_row_audited",
    "statement-level, audit_logs without foreign keys": "bench.projects_audited_nofk",
}
PLAN_ROWS = 1_000  # the plan-cache checks' "bulk" update: quadratic when it goes wrong
JIT_ROWS = 5_000  # a first call this big leaves a plan JIT-compiled on every later call

# The statement-level trigger's insert, on its own, from bench.src's rows.
TRIGGER_INSERT = """
insert into {target} (organization_id, user_id, action, entity_type, entity_id, new_values, ip_address, user_agent)
select {org}, null, 'create', 'projects_audited', r.v ->> 'id', r.v, null, null
from (select to_jsonb(n) as v from bench.src n) r
{join}
"""
JOINED = ("o.id", "left join public.organizations o on o.id = (r.v ->> 'organization_id')::uuid")
UNJOINED = ("(r.v ->> 'organization_id')::uuid", "")
SECONDARY_INDEXES = {
    "keyset (organization_id, created_at desc, id desc)": "(organization_id, created_at desc, id desc)",
    "user_id": "(user_id)",
    "entity (entity_type, entity_id)": "(entity_type, entity_id)",
    "created_at": "(created_at)",
    "created_at, brin instead": "using brin (created_at)",
}


def timed(conn, sql: str) -> float:
    started = time.perf_counter()
    conn.execute(sql)
    return time.perf_counter() - started


def timed_rolled_back(conn, sql: str) -> float:
    conn.execute("begin")
    try:
        return timed(conn, sql)
    finally:
        conn.execute("rollback")


def rotated(names: list[str], round_: int) -> list[str]:
    k = round_ % len(names)
    return names[k:] + names[:k]


def audit_rows(conn) -> int:
    return conn.execute("select count(*) from public.audit_logs").fetchone()[0]


def bulk(server) -> tuple[dict[str, float], dict[str, float]]:
    """Interleaved rounds of the bulk insert and update: medians in seconds.

    Server defaults otherwise (JIT on, PostgreSQL's default). One connection, whose first
    call of each trigger is a bulk one.
    """
    inserts: dict[str, list[float]] = {name: [] for name in INSERT_VARIANTS}
    updates: dict[str, list[float]] = {name: [] for name in UPDATE_VARIANTS}
    with server.connect(DBNAME, autocommit=True) as conn:
        for round_ in range(BULK_ROUNDS):
            for name in rotated(list(INSERT_VARIANTS), round_):
                table = INSERT_VARIANTS[name]
                conn.execute(f"truncate {table}, public.audit_logs")
                inserts[name].append(timed(conn, INSERT.format(table=table)))
                expected = 0 if name == "plain" else BULK_ROWS
                assert audit_rows(conn) == expected, f"{name}: {audit_rows(conn)} audit rows, not {expected}"
            for name in rotated(list(UPDATE_VARIANTS), round_):
                table = UPDATE_VARIANTS[name]
                conn.execute("truncate public.audit_logs")
                updates[name].append(timed(conn, UPDATE.format(table=table)))
                expected = 0 if name == "plain" else BULK_ROWS
                assert audit_rows(conn) == expected, f"{name} update: {audit_rows(conn)} audit rows, not {expected}"
            print(f"  round {round_ + 1}: insert " + ", ".join(f"{n} {inserts[n][-1]:.2f} s" for n in inserts)
                  + "; update " + ", ".join(f"{n} {updates[n][-1]:.2f} s" for n in updates), flush=True)

        # Both audited variants keep the no-op rule: a rename to the same name writes
        # nothing; a real one writes an update of {name}.
        conn.execute("truncate public.audit_logs")
        for table in ("bench.projects_row_audited", "bench.projects_audited"):
            conn.execute(f"update {table} set name = name where id in (select id from {table} limit 1000)")
        assert audit_rows(conn) == 0, "a no-op update must write no audit row"
        for table in ("bench.projects_row_audited", "bench.projects_audited"):
            conn.execute(f"update {table} set name = name || '!' where id in (select id from {table} limit 10)")
        entries = conn.execute("select count(*), array_agg(distinct action), array_agg(distinct changed_keys::text) "
                               "from public.audit_logs").fetchone()
        assert entries == (20, ["update"], ["{name}"]), entries
    return ({n: statistics.median(t) for n, t in inserts.items()},
            {n: statistics.median(t) for n, t in updates.items()})


def some_rows(table: str, rows: int, change: str = "name || '+'") -> str:
    return f"update {table} set name = {change} where id in (select id from {table} limit {rows})"


def plan_cache(server) -> dict[str, float]:
    """What a connection's first call leaves behind (PostgREST keeps its connections).

    A static query in a PL/pgSQL trigger is parse-analysed once per session, and the
    transition tables' row counts are frozen in it then: every later plan is made
    for the first call's sizes. Each check on its own new connection, rolled back:
    - an update of PLAN_ROWS rows as the session's first call, then after one
      single-row update (audit_update: old and new rows joined as if one row each);
    - single-row updates after a first call of JIT_ROWS rows (planned for that many:
      JIT-compiled on every call), against single-row updates after a single-row one.
    private.audit_update EXECUTEs its query with JIT off: these guard against a regression.
    """
    out: dict[str, float] = {}

    def session(steps: list[str], measured: str, repeat: int = 1) -> float:
        with server.connect(DBNAME, autocommit=True) as conn:
            for step in steps:
                conn.execute("begin")
                conn.execute(step)
                conn.execute("rollback")
            times = []
            for _ in range(repeat):
                times.append(timed_rolled_back(conn, measured))
            return statistics.median(times)

    label, table = "statement", "bench.projects_audited"
    single = some_rows(table, 1)
    out[f"{label}_update_{PLAN_ROWS}_first_s"] = session([], some_rows(table, PLAN_ROWS))
    out[f"{label}_update_{PLAN_ROWS}_after_single_s"] = session([single], some_rows(table, PLAN_ROWS))
    out[f"{label}_single_first_ms"] = session([single], single, repeat=5) * 1000
    out[f"{label}_single_after_bulk_ms"] = session([some_rows(table, JIT_ROWS)], single, repeat=5) * 1000
    return out


def breakdown(server) -> dict[str, float]:
    """Where the statement-level insert's time goes: each part the fastest of
    BREAKDOWN_ROUNDS interleaved runs (rolled back), in seconds; and the audit's
    cost per single-row statement, in microseconds."""
    runs: dict[str, list[float]] = {}
    with server.connect(DBNAME, autocommit=True) as conn:
        conn.execute("truncate bench.projects_plain, public.audit_logs")
        conn.execute(INSERT.format(table="bench.projects_plain"))
        conn.execute("create table bench.src as select * from bench.projects_plain")
        conn.execute("vacuum analyze bench.src")
        unjoined = TRIGGER_INSERT.format(target="{target}", org=UNJOINED[0], join=UNJOINED[1])
        parts: dict[str, tuple[str, str | None]] = {
            "plain_with_fks": (INSERT.format(table="bench.projects_plain_fk"), None),
            "to_jsonb only (select)": (
                "select count(*) from (select to_jsonb(n) as v from bench.src n offset 0) r where r.v is not null", None),
            "to_jsonb + the organizations join (select)": (
                "select count(o.id) from (select to_jsonb(n) as v from bench.src n offset 0) r "
                "left join public.organizations o on o.id = (r.v ->> 'organization_id')::uuid", None),
            "gen_random_uuid x 100k": (f"select count(gen_random_uuid()) from generate_series(1, {BULK_ROWS})", None),
            "trigger's insert, as it is": (
                TRIGGER_INSERT.format(target="public.audit_logs", org=JOINED[0], join=JOINED[1]), None),
            "  without the join, and audit_logs without its foreign keys": (
                unjoined.format(target="bench.audit_nofk"), None),
            "  and only the primary key": (unjoined.format(target="bench.audit_pk"), None),
            "  and no index": (unjoined.format(target="bench.audit_bare"), None),
            "  and a bigint identity, not gen_random_uuid()": (unjoined.format(target="bench.audit_bigint"), None),
        }
        for label, definition in SECONDARY_INDEXES.items():
            parts[f"  bare + index {label}"] = (unjoined.format(target="bench.audit_bare"),
                                                f"create index on bench.audit_bare {definition}")
        for round_ in range(BREAKDOWN_ROUNDS):
            for label in rotated(list(parts), round_):
                sql, before = parts[label]
                conn.execute("begin")
                try:
                    if before:
                        conn.execute(before)
                    runs.setdefault(label, []).append(timed(conn, sql))
                finally:
                    conn.execute("rollback")
    out = {label: min(times) for label, times in runs.items()}
    for label in SECONDARY_INDEXES:
        out[f"  bare + index {label}"] -= out["  and no index"]

    # Per single-row statement, in the database, as a member with PostgREST's
    # settings (so the actor and the headers are looked up as over REST).
    with server.connect(DBNAME, autocommit=True) as conn:
        conn.execute("select set_config('request.jwt.claims', %s, false), set_config('request.headers', %s, false)",
                     [json.dumps({"sub": MEMBER_ID, "role": "authenticated"}),
                      json.dumps({"user-agent": "supakit-bench-audit", "x-forwarded-for": "203.0.113.7"})])
        conn.execute("""
            create function pg_temp.single_rows(target text, n int) returns float language plpgsql as $$
            declare
              started timestamptz := clock_timestamp();
            begin
              for i in 1..n loop
                execute format('insert into %s (name, organization_id) values ($1, $2)', target)
                  using 'Single ' || i, md5('bulk-org1')::uuid;
              end loop;
              return extract(epoch from clock_timestamp() - started) * 1e6 / n;
            end;
            $$""")
        singles: dict[str, list[float]] = {name: [] for name in SINGLE_VARIANTS}
        for name, table in SINGLE_VARIANTS.items():
            conn.execute("select pg_temp.single_rows(%s, 100)", [table])  # plans and caches warm
        for round_ in range(BREAKDOWN_ROUNDS):
            for name in rotated(list(SINGLE_VARIANTS), round_):
                conn.execute("begin")
                singles[name].append(conn.execute("select pg_temp.single_rows(%s, %s)",
                                                  [SINGLE_VARIANTS[name], SINGLE_ROWS]).fetchone()[0])
                conn.execute("rollback")
    for name, times in singles.items():
        out[f"single-row insert, {name} (us)"] = min(times)
    return out


def rest(server, jwt_secret: str, authenticator_password: str, state_dir: Path) -> dict[str, float]:
    """Single-row POSTs, audited and not, alternating: medians in ms."""
    org = None
    with server.connect(DBNAME, autocommit=True) as conn:
        org = conn.execute("select md5('rest-org')::uuid::text").fetchone()[0]
        conn.execute("select pg_stat_reset()")
    endpoint = start_rest(
        server, DBNAME, jwt_secret=jwt_secret, authenticator_password=authenticator_password, state_dir=state_dir
    )
    token = tokens.sign(tokens.user_claims(MEMBER_ID, email=MEMBER_EMAIL), jwt_secret)
    headers = {
        "apikey": endpoint.anon_key,
        "Authorization": f"Bearer {token}",
        "Prefer": "return=representation",
        "User-Agent": "supakit-bench-audit",
    }
    paths = {"audited": "/projects", "plain": "/bench_projects_plain"}
    times: dict[str, list[float]] = {name: [] for name in paths}
    try:
        with httpx.Client(base_url=endpoint.rest_url, headers=headers, timeout=60.0) as http:
            def post(name: str, i: int) -> float:
                body = {"name": f"Bench project {i}", "organization_id": org}
                started = time.perf_counter()
                response = http.post(paths[name], json=body)
                elapsed = time.perf_counter() - started
                assert response.status_code == 201, (name, response.status_code, response.text)
                assert response.json()[0]["name"] == body["name"], response.text
                return elapsed

            for i in range(REST_WARMUP):
                for name in paths:
                    post(name, -i)
            names = list(paths)
            for i in range(REST_REQUESTS):
                for name in rotated(names, i):
                    times[name].append(post(name, i))
    finally:
        endpoint.stop()  # its connections end, and flush their function statistics

    trigger_ms = None
    with server.connect(DBNAME) as conn:
        for _ in range(50):
            row = conn.execute("select calls, total_time from pg_stat_user_functions "
                               "where schemaname = 'private' and funcname = 'audit_insert'").fetchone()
            if row and row[0] >= REST_WARMUP + REST_REQUESTS:
                trigger_ms = row[1] / row[0]
                break
            time.sleep(0.1)

    posted = REST_WARMUP + REST_REQUESTS
    with server.connect(DBNAME) as conn:
        entries = {}
        for entity in ("projects", "bench_projects_plain"):
            entries[entity] = conn.execute(
                "select count(*), count(*) filter (where user_id = %s and organization_id = %s), "
                "count(*) filter (where user_agent = 'supakit-bench-audit'), count(ip_address) "
                "from public.audit_logs where entity_type = %s and action = 'create'",
                [MEMBER_ID, org, entity],
            ).fetchone()
    logged, by_member, with_agent, with_ip = entries["projects"]
    assert logged == by_member == with_agent == posted, entries
    assert entries["bench_projects_plain"][0] == 0, entries
    out = {name: statistics.median(t) * 1000 for name, t in times.items()}
    out["logged_with_ip"] = with_ip
    out["trigger_ms"] = trigger_ms
    return out


def main() -> None:
    project = find_project()
    jwt_secret = secrets.token_urlsafe(32)
    authenticator_password = secrets.token_urlsafe(18)
    state_dir = Path(tempfile.mkdtemp(prefix="supakit-bench-audit-"))
    started = time.perf_counter()
    server = start_local(SETTINGS)
    try:
        databases.create_migrated(server, DBNAME, project, authenticator_password)
        with server.connect(DBNAME, autocommit=True) as conn:
            conn.execute(SETUP)
            for table in REST_COPIES:
                for (statement,) in conn.execute(COPY_POLICIES.replace("TARGET", table)).fetchall():
                    conn.execute(statement)

        print(f"bulk: {BULK_ROWS} rows per statement, {BULK_ROUNDS} interleaved rounds", flush=True)
        inserts, updates = bulk(server)
        cache = plan_cache(server)
        parts = breakdown(server)
        calls = rest(server, jwt_secret, authenticator_password, state_dir)
    finally:
        server.stop()
        shutil.rmtree(state_dir, ignore_errors=True)

    figures = {
        "bulk_plain_s": round(inserts["plain"], 3),
        "bulk_statement_s": round(inserts["statement"], 3),
        "bulk_row_s": round(inserts["row"], 3),
        "bulk_audited_vs_plain": round(inserts["statement"] / inserts["plain"], 2),
        "bulk_row_vs_statement": round(inserts["row"] / inserts["statement"], 2),
        "bulk_update_plain_s": round(updates["plain"], 3),
        "bulk_update_statement_s": round(updates["statement"], 3),
        "bulk_update_audited_vs_plain": round(updates["statement"] / updates["plain"], 2),
        f"update_{PLAN_ROWS}_first_s": round(cache[f"statement_update_{PLAN_ROWS}_first_s"], 3),
        f"update_{PLAN_ROWS}_after_single_s": round(cache[f"statement_update_{PLAN_ROWS}_after_single_s"], 3),
        "stale_plan_slowdown": round(cache[f"statement_update_{PLAN_ROWS}_after_single_s"]
                                     / cache[f"statement_update_{PLAN_ROWS}_first_s"], 1),
        "single_update_first_ms": round(cache["statement_single_first_ms"], 2),
        "single_update_after_bulk_ms": round(cache["statement_single_after_bulk_ms"], 2),
        "bulk_plain_with_fks_s": round(parts["plain_with_fks"], 3),
        # What the audit adds to the real table's insert (its foreign keys kept): derived,
        # the median audit overhead over a single run of the FK-checked copy.
        "bulk_audited_vs_plain_with_fks": round(
            (parts["plain_with_fks"] + inserts["statement"] - inserts["plain"]) / parts["plain_with_fks"], 2),
        "audit_insert_s": round(parts["trigger's insert, as it is"], 3),
        "audit_insert_no_fks_s": round(parts["  without the join, and audit_logs without its foreign keys"], 3),
        "audit_insert_floor_s": round(parts["  and a bigint identity, not gen_random_uuid()"], 3),
        "single_plain_us": round(parts["single-row insert, plain (us)"], 1),
        "single_statement_us": round(parts["single-row insert, statement-level (us)"], 1),
        "single_row_level_us": round(parts["single-row insert, row-level (us)"], 1),
        "single_statement_no_fks_us": round(
            parts["single-row insert, statement-level, audit_logs without foreign keys (us)"], 1),
        "rest_plain_ms": round(calls["plain"], 2),
        "rest_audited_ms": round(calls["audited"], 2),
        "rest_audited_vs_plain": round(calls["audited"] / calls["plain"], 3),
        "rest_trigger_ms": None if calls["trigger_ms"] is None else round(calls["trigger_ms"], 3),
        "bulk_rows": BULK_ROWS,
        "bulk_rounds": BULK_ROUNDS,
        "rest_requests": REST_REQUESTS,
        "total_s": round(time.perf_counter() - started, 1),
    }

    print(f"insert {BULK_ROWS} rows, one statement (median of {BULK_ROUNDS}):")
    print(f"  plain            {figures['bulk_plain_s']:7.3f} s")
    print(f"  statement-level  {figures['bulk_statement_s']:7.3f} s  bulk_audited_vs_plain "
          f"{figures['bulk_audited_vs_plain']}  (target <= 1.5)")
    print(f"  row-level        {figures['bulk_row_s']:7.3f} s  bulk_row_vs_statement {figures['bulk_row_vs_statement']}")
    print(f"update {BULK_ROWS} rows, one statement:")
    print(f"  plain            {figures['bulk_update_plain_s']:7.3f} s")
    print(f"  statement-level  {figures['bulk_update_statement_s']:7.3f} s  bulk_update_audited_vs_plain "
          f"{figures['bulk_update_audited_vs_plain']}")
    print("plan cache (each on a new connection; a cached plan would keep its first call's sizes):")
    print(f"  update of {PLAN_ROWS} rows as the first call "
          f"{cache[f'statement_update_{PLAN_ROWS}_first_s']:7.3f} s, after one single-row update "
          f"{cache[f'statement_update_{PLAN_ROWS}_after_single_s']:7.3f} s")
    print(f"  single-row update after a single-row one {cache['statement_single_first_ms']:7.2f} ms, "
          f"after a {JIT_ROWS}-row one {cache['statement_single_after_bulk_ms']:7.2f} ms")
    print(f"  => stale_plan_slowdown {figures['stale_plan_slowdown']}")
    print(f"breakdown (fastest of {BREAKDOWN_ROUNDS}; the trigger's insert into audit_logs on its own, "
          "then cumulative changes; index lines: what one index adds to the bare copy):")
    for label, value in parts.items():
        if label.endswith("(us)"):
            continue
        print(f"  {label:<66} {value:7.3f} s")
    print(f"  => with projects' foreign keys kept on the copy, audited vs plain (derived): "
          f"{figures['bulk_audited_vs_plain_with_fks']}")
    print(f"per single-row insert statement, in the database ({SINGLE_ROWS} statements, fastest of {BREAKDOWN_ROUNDS}):")
    for label, value in parts.items():
        if label.endswith("(us)"):
            print(f"  {label[len('single-row insert, '):-5]:<52} {value:7.1f} us")
    print(f"REST, single-row POST, median of {REST_REQUESTS} each (keep-alive, alternating):")
    print(f"  plain copy       {figures['rest_plain_ms']:7.2f} ms")
    print(f"  projects         {figures['rest_audited_ms']:7.2f} ms  rest_audited_vs_plain "
          f"{figures['rest_audited_vs_plain']}  (target <= 1.15)")
    print(f"  private.audit_insert's own time per POST (pg_stat_user_functions): {figures['rest_trigger_ms']} ms")
    print(f"  audited POSTs logged with actor, organization and user agent: all; with an ip: {calls['logged_with_ip']}")
    print(f"total {figures['total_s']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
