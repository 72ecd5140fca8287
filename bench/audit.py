"""What the audit trail costs writers and readers, designs side by side in one run.

Bulk writes, in one migrated throwaway database, as the superuser (as a migration
or a backfill runs them: no user, no request headers). Copies of public.projects,
each `create table ... (like public.projects including all)` plus projects' two
foreign keys (organization_id, deleted_by), so every variant pays what the real
table pays and the ratios isolate the audit:

- bench.projects_plain: no audit;
- bench.projects_audited: the shipped design, `private.enable_audit(...)`:
  statement-level triggers writing public.audit_logs (partitioned by month, no
  foreign keys, one keyset index, a statement's entries written in that index's
  order), through the writers generated for the table: inserts sorted by the
  typed organization and turned into jsonb once, as written; updates compared
  column by column, typed, the changed columns only;
- bench.projects_generic: the same table and log, through the generic writers
  shipped before: inserts turned into jsonb first and sorted as jsonb, organization
  and key read back out of it (bench/sql/audit_generic_insert.sql); updates with
  whole rows as jsonb, changed columns found key by key
  (bench/sql/audit_generic_update.sql); both measured slower, replaced;
- bench.projects_staged: one row per statement with every affected row as a jsonb
  array, in an append-only bench.audit_batches to be expanded later
  (bench/sql/audit_staged.sql; insert and update);
- bench.projects_legacy: today's design before this one: the table of migrations
  0006-0009 (uuid primary key, foreign keys, four btree indexes) and its triggers
  (a join to organizations per row), bench/sql/audit_legacy.sql: inserts and
  single rows only (its bulk update alone takes longer than the rest of a round).

In interleaved rounds (each round starts with the next variant; the copy and the
audit tables truncated before each timed statement), each variant's time against
plain's in the same round, the median of those ratios:
`bulk_audited_vs_plain` (insert of 100,000 rows in one statement, target <= 1.5)
and `bulk_update_audited_vs_plain` (an update of all of them, target <= 2.0), the
shipped design against plain; the other designs' ratios beside them.

Single-row inserts in the database (a PL/pgSQL loop of one-row INSERT statements,
EXECUTEd, rolled back), as a member, with the JWT claims and request headers set as
PostgREST sets them, in interleaved rounds: `single_audited_vs_plain` (target <= 3.0),
the median of the rounds' ratios, as the bulk figures are (the ratio of each side's
fastest round, `single_audited_vs_plain_fastest`, follows whichever plain round was
luckiest). Those settings are small (the claims `sub` and `role`, two headers); with
settings of the size PostgREST really passes (a whole token's claims, every request
header, the bearer token and the apikey among them: about 1.5 KB of JSON, which each
audited statement parses once for the actor and once for the client):
`single_postgrest_sized_vs_plain`, also a median of paired rounds. Then the same
inserts on a new connection whose first statement was the 100,000-row insert,
against a new connection warmed with single-row inserts:
`single_after_bulk_vs_single` (target <= 1.2): a trigger plan cached with the bulk
statement's estimates must not slow every later request. The update trigger's
plan-cache guards stay (`stale_plan_slowdown`).

Single-row POSTs through PostgREST: a member sends `POST /rest/v1/projects` (the
real, audited table) and the same POST to public.bench_projects_plain (projects'
foreign keys, RLS policies and grants, no audit); alternating, medians:
`rest_audited_vs_plain` (target <= 1.10).

Reading: list_audit_logs as an organization's admin (the claims set as PostgREST
sets them), p50 of the query, first page (50) and the next keyset page, on 10,000
entries (100 organizations, 100 each) and then on 1,000,000 entries (1,000
organizations, 1,000 each), both spread over the same twelve months:
`audit_list_1m_vs_10k` (target <= 1.5). The plan of the function's query, logged
by auto_explain, must choose the page by index-only scans, with no sort, and scan
sequentially nothing but empty partitions (`audit_list_index_only`).

Retention: a month of 1,000,000 entries (fourteen months old, older than the
listed ones), removed with DELETE against private.drop_audit_partitions (what
purge_audit_logs and the pg_cron job run: the month's partition dropped), each
rolled back, interleaved: `retention_drop_vs_delete` (target >= 50). The DELETE's
figure leaves out what it costs later (vacuum reading the month again to reclaim
it); the drop's includes finding the month and counting its entries from the
statistics.

Everything runs on a throwaway cluster (`start_local`) torn down at the end.
Run: python bench/audit.py   (last line: one JSON object)
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from supakit import tokens
from supakit.project import find_project
from supakit.providers.local import TEST_SETTINGS, start_local
from supakit.stack.rest import start_rest
from supakit.testing import databases

HERE = Path(__file__).resolve().parent
BULK_ROWS = 100_000
BULK_ROUNDS = 5
BULK_ORGS = 100  # the bulk rows' organizations
SINGLE_ROWS = 1_000  # single-row inserts per variant and round, in the database
SINGLE_ROUNDS = 25  # interleaved; the rounds' ratios to plain give the figure (the machine is shared)
SIZED_ROUNDS = 9  # the same with PostgREST-sized claims and headers, plain and shipped only
AFTER_BULK_ROUNDS = 5
REST_WARMUP = 10
REST_REQUESTS = 300  # per table
LIST_SMALL = (10_000, 100)  # entries, organizations
LIST_LARGE = (1_000_000, 1_000)
LIST_MONTHS = 12  # the entries span this many months, ending now
LIST_CALLS = 300  # per kind of page
RETENTION_ROUNDS = 3
RETENTION_ROWS = 1_000_000  # the month removed
RETENTION_MONTHS_BACK = 14  # how old that month is (older than the listed entries)
PLAN_ROWS = 1_000  # the plan-cache checks' "bulk" update: quadratic when it goes wrong
JIT_ROWS = 5_000  # a first call this big leaves a plan JIT-compiled on every later call

DBNAME = "bench_audit"
SETTINGS = {
    **TEST_SETTINGS,
    "shared_buffers": "512MB",  # the copies, audit_logs and their indexes fit: no disk in the figures
    "max_wal_size": "4GB",  # no checkpoint forced by the bulk writes
    "autovacuum": "off",  # nothing runs behind the figures
}

MEMBER_ID = "6c6d2a33-0000-4000-8000-00000000be01"
MEMBER_EMAIL = "member@bench.test"
ADMIN_ID = "6c6d2a33-0000-4000-8000-00000000be02"
CLAIMS = {"sub": MEMBER_ID, "role": "authenticated"}
HEADERS = {"user-agent": "supakit-bench-audit", "x-forwarded-for": "203.0.113.7"}

COPIES = ("plain", "audited", "generic", "staged", "legacy")


def sql_file(name: str) -> str:
    """bench/sql/NAME: the SQL only this bench runs (the designs it compares, its setup)."""
    return (HERE / "sql" / name).read_text()


# Read by bench/sql/audit_setup.sql with current_setting().
SETUP_SETTINGS = {
    "bench.bulk_orgs": str(BULK_ORGS), "bench.member_id": MEMBER_ID,
    "bench.member_email": MEMBER_EMAIL, "bench.admin_id": ADMIN_ID,
}
SETUP_FILES = ("audit_legacy.sql", "audit_staged.sql", "audit_generic_insert.sql", "audit_generic_update.sql",
               "audit_setup.sql")


def set_up(conn) -> None:
    """The bench schema, the three designs, the copies of projects and the users (autocommit)."""
    conn.execute("create schema bench")
    for name, value in SETUP_SETTINGS.items():
        conn.execute("select set_config(%s, %s, false)", (name, value))
    for name in SETUP_FILES:
        conn.execute(sql_file(name))
    for (statement,) in conn.execute(sql_file("audit_copy_policies.sql")).fetchall():
        conn.execute(statement)


INSERT = ("insert into {table} (name, organization_id) "
          f"select 'Project ' || g, md5('bulk-org' || (g % {BULK_ORGS} + 1))::uuid "
          f"from generate_series(1, {BULK_ROWS}) g")
UPDATE = "update {table} set name = name || ' (renamed)'"
AUDIT_TABLES = "public.audit_logs, bench.audit_logs_legacy, bench.audit_batches"

INSERT_VARIANTS = {
    "plain": "bench.projects_plain",
    "partitioned": "bench.projects_audited",
    "partitioned, generic writer": "bench.projects_generic",
    "staged": "bench.projects_staged",
    "legacy": "bench.projects_legacy",
}
UPDATE_VARIANTS = {
    "plain": "bench.projects_plain",
    "partitioned": "bench.projects_audited",
    "partitioned, generic writer": "bench.projects_generic",
    "staged": "bench.projects_staged",
}
SINGLE_VARIANTS = {
    "plain": "bench.projects_plain",
    "partitioned": "bench.projects_audited",
    "legacy": "bench.projects_legacy",
}

def timed(conn, sql: str, params=None) -> float:
    started = time.perf_counter()
    conn.execute(sql, params)
    return time.perf_counter() - started


def timed_rolled_back(conn, sql: str, params=None) -> float:
    conn.execute("begin")
    try:
        return timed(conn, sql, params)
    finally:
        conn.execute("rollback")


def rotated(names: list[str], round_: int) -> list[str]:
    k = round_ % len(names)
    return names[k:] + names[:k]


def logged(conn, variant: str) -> int:
    """Entries the variant's audit wrote (for the staged design: rows inside its batches)."""
    if variant == "legacy":
        return conn.execute("select count(*) from bench.audit_logs_legacy").fetchone()[0]
    if variant == "staged":
        return conn.execute("select coalesce(sum(jsonb_array_length(new_rows)), 0) from bench.audit_batches").fetchone()[0]
    return conn.execute("select count(*) from public.audit_logs").fetchone()[0]


def bulk(server) -> tuple[dict[str, float], dict[str, float]]:
    """Interleaved rounds of the bulk insert and update: medians in seconds, per-round ratios."""
    inserts: dict[str, list[float]] = {name: [] for name in INSERT_VARIANTS}
    updates: dict[str, list[float]] = {name: [] for name in UPDATE_VARIANTS}
    with server.connect(DBNAME, autocommit=True) as conn:
        for round_ in range(BULK_ROUNDS):
            for name in rotated(list(INSERT_VARIANTS), round_):
                table = INSERT_VARIANTS[name]
                conn.execute(f"truncate {table}, {AUDIT_TABLES}")
                inserts[name].append(timed(conn, INSERT.format(table=table)))
                expected = 0 if name == "plain" else BULK_ROWS
                assert logged(conn, name) == expected, f"{name}: {logged(conn, name)} entries, not {expected}"
            conn.execute("truncate bench.projects_generic")
            conn.execute(INSERT.format(table="bench.projects_generic"))
            for name in rotated(list(UPDATE_VARIANTS), round_):
                table = UPDATE_VARIANTS[name]
                conn.execute(f"truncate {AUDIT_TABLES}")
                updates[name].append(timed(conn, UPDATE.format(table=table)))
                expected = 0 if name == "plain" else BULK_ROWS
                assert logged(conn, name) == expected, f"{name} update: {logged(conn, name)} entries, not {expected}"
            print(f"  round {round_ + 1}: insert " + ", ".join(f"{n} {inserts[n][-1]:.2f} s" for n in inserts)
                  + "; update " + ", ".join(f"{n} {updates[n][-1]:.2f} s" for n in updates), flush=True)

        # The shipped update keeps the no-op rule, names the changed column, stores the changed columns.
        conn.execute(f"truncate {AUDIT_TABLES}")
        table = "bench.projects_audited"
        conn.execute(f"update {table} set name = name where id in (select id from {table} limit 1000)")
        assert logged(conn, "partitioned") == 0, "a no-op update must write no entry"
        conn.execute(f"update {table} set name = name || '!' where id in (select id from {table} limit 10)")
        entries = conn.execute("select count(*), array_agg(distinct action), array_agg(distinct changed_keys::text), "
                               "array_agg(distinct (select array_agg(k order by k) from jsonb_object_keys(new_values) k)::text) "
                               "from public.audit_logs").fetchone()
        assert entries[:3] == (10, ["update"], ["{name}"]) and "name" in entries[3][0], entries
    return summary(inserts), summary(updates)


def paired(times: dict[str, list[float]], name: str) -> float:
    """The median of a variant's ratios to plain within each round: a round's variants run
    back to back, so a slow spell on the shared machine falls on both sides of the ratio
    instead of on one side of a median."""
    return statistics.median(a / b for a, b in zip(times[name], times["plain"]))


def summary(times: dict[str, list[float]]) -> dict[str, float]:
    """Each variant's median time, and its paired ratio to plain (`<name>/plain`)."""
    out = {n: statistics.median(t) for n, t in times.items()}
    out.update({f"{n}/plain": paired(times, n) for n in times})
    return out


def postgrest_sized() -> tuple[dict, dict]:
    """The member's claims and headers at the size PostgREST passes them: a whole token's
    claims, and every header of a supabase-py POST, tokens included."""
    secret = secrets.token_urlsafe(32)
    claims = tokens.user_claims(MEMBER_ID, email=MEMBER_EMAIL)
    anon = tokens.sign({"iss": "supakit", "role": "anon", "iat": 1735689600, "exp": 2366409600}, secret)
    headers = {
        "x-real-ip": "203.0.113.7", "host": "127.0.0.1:54321", "accept": "*/*", "accept-encoding": "gzip, deflate",
        "connection": "keep-alive", "user-agent": "supakit-bench-audit", "apikey": anon,
        "authorization": f"Bearer {tokens.sign(claims, secret)}", "content-profile": "public",
        "prefer": "return=representation", "content-type": "application/json", "content-length": "78",
        "x-client-info": "supabase-py/2.10.0", "x-forwarded-for": "203.0.113.7",
    }
    return claims, headers


def member_session(conn, claims: dict = CLAIMS, headers: dict = HEADERS) -> None:
    """PostgREST's settings for the member, for the whole session (as its requests set
    them: compact JSON)."""
    conn.execute("select set_config('request.jwt.claims', %s, false), set_config('request.headers', %s, false)",
                 [json.dumps(claims, separators=(",", ":")), json.dumps(headers, separators=(",", ":"))])
    conn.execute(sql_file("audit_single_rows.sql"))


def single_rows(conn, table: str, rows: int) -> float:
    """Microseconds per one-row insert statement, `rows` of them in one transaction, rolled back."""
    conn.execute("begin")
    try:
        return conn.execute("select pg_temp.single_rows(%s, %s)", [table, rows]).fetchone()[0]
    finally:
        conn.execute("rollback")


def interleaved(server, variants: dict[str, str], rounds: int, claims: dict, headers: dict) -> dict[str, list[float]]:
    """Per single-row insert (us) of each variant, in interleaved rounds on one connection."""
    out: dict[str, list[float]] = {name: [] for name in variants}
    with server.connect(DBNAME, autocommit=True) as conn:
        member_session(conn, claims, headers)
        for table in variants.values():
            single_rows(conn, table, 100)  # plans and caches warm
        for round_ in range(rounds):
            for name in rotated(list(variants), round_):
                out[name].append(single_rows(conn, variants[name], SINGLE_ROWS))
    return out


def singles(server) -> dict[str, float]:
    """Per single-row insert, in the database, as the member: fastest of interleaved rounds (us)
    and the median of the rounds' ratios; the same with PostgREST-sized settings; then after a
    bulk first call against after single-row warm-up, on new connections (medians)."""
    out = interleaved(server, SINGLE_VARIANTS, SINGLE_ROUNDS, CLAIMS, HEADERS)
    figures = {name: min(times) for name, times in out.items()}
    figures.update({f"{name}/plain": paired(out, name) for name in SINGLE_VARIANTS})
    sized = interleaved(server, {name: SINGLE_VARIANTS[name] for name in ("plain", "partitioned")}, SIZED_ROUNDS,
                        *postgrest_sized())
    figures.update({"sized_plain": min(sized["plain"]), "sized_partitioned": min(sized["partitioned"]),
                    "sized/plain": paired(sized, "partitioned")})

    after_bulk, fresh = [], []
    table = "bench.projects_audited"
    for _ in range(AFTER_BULK_ROUNDS):
        with server.connect(DBNAME, autocommit=True) as conn:
            member_session(conn)
            conn.execute("begin")
            conn.execute(INSERT.format(table=table))  # the session's first audited statement
            conn.execute("rollback")
            after_bulk.append(single_rows(conn, table, SINGLE_ROWS))
        with server.connect(DBNAME, autocommit=True) as conn:
            member_session(conn)
            single_rows(conn, table, 100)
            fresh.append(single_rows(conn, table, SINGLE_ROWS))
    figures["after_bulk"] = statistics.median(after_bulk)
    figures["fresh"] = statistics.median(fresh)
    return figures


def some_rows(table: str, rows: int, change: str = "name || '+'") -> str:
    return f"update {table} set name = {change} where id in (select id from {table} limit {rows})"


def plan_cache(server) -> dict[str, float]:
    """The update trigger's guards: what a connection's first call leaves behind.

    The table's generated update writer keeps its plan cached with nested loops off (a
    plan kept from a single-row first call would make a 1,000-row update's join
    quadratic) and JIT off: these checks guard against a regression. Each on a new
    connection, rolled back."""
    out: dict[str, float] = {}

    def session(steps: list[str], measured: str, repeat: int = 1) -> float:
        with server.connect(DBNAME, autocommit=True) as conn:
            for step in steps:
                timed_rolled_back(conn, step)
            return statistics.median(timed_rolled_back(conn, measured) for _ in range(repeat))

    table = "bench.projects_audited"
    single = some_rows(table, 1)
    out["update_first_s"] = session([], some_rows(table, PLAN_ROWS))
    out["update_after_single_s"] = session([single], some_rows(table, PLAN_ROWS))
    out["single_first_ms"] = session([single], single, repeat=5) * 1000
    out["single_after_bulk_ms"] = session([some_rows(table, JIT_ROWS)], single, repeat=5) * 1000
    return out


def rest(server, jwt_secret: str, authenticator_password: str, state_dir: Path) -> dict[str, float]:
    """Single-row POSTs, audited and not, alternating: medians in ms."""
    with server.connect(DBNAME, autocommit=True) as conn:
        org = conn.execute("select md5('rest-org')::uuid::text").fetchone()[0]
        conn.execute("truncate public.audit_logs")
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
            for i in range(REST_REQUESTS):
                for name in rotated(list(paths), i):
                    times[name].append(post(name, i))
    finally:
        endpoint.stop()

    posted = REST_WARMUP + REST_REQUESTS
    with server.connect(DBNAME) as conn:
        logged_, by_member, with_agent, with_ip = conn.execute(
            "select count(*), count(*) filter (where user_id = %s and organization_id = %s), "
            "count(*) filter (where user_agent = 'supakit-bench-audit'), count(ip_address) "
            "from public.audit_logs where entity_type = 'projects' and action = 'create'",
            [MEMBER_ID, org],
        ).fetchone()
        plain_logged = conn.execute(
            "select count(*) from public.audit_logs where entity_type = 'bench_projects_plain'").fetchone()[0]
    assert logged_ == by_member == with_agent == posted, (logged_, by_member, with_agent, posted)
    assert plain_logged == 0
    out = {name: statistics.median(t) * 1000 for name, t in times.items()}
    out["logged_with_ip"] = with_ip
    return out


def fill_log(conn, entries: int, organizations: int, start: str) -> None:
    """`entries` entries, round-robin over `organizations` organizations and 50 users, in
    created_at order from `start` to now; then vacuum analyze (what autovacuum does)."""
    conn.execute("truncate public.audit_logs")
    conn.execute(f"""
        insert into public.audit_logs
          (organization_id, user_id, action, entity_type, entity_id, new_values, ip_address, user_agent, created_at)
        select md5('list-org-' || (g % {organizations}))::uuid, md5('list-user-' || (g % 50))::uuid, 'create',
               (array['projects', 'organization_members', 'subscriptions'])[g % 3 + 1], md5(g::text)::uuid::text,
               jsonb_build_object('id', md5(g::text)::uuid, 'name', 'Project ' || g, 'organization_id',
                                  md5('list-org-' || (g % {organizations}))::uuid),
               '203.0.113.7', 'supakit-bench-audit',
               '{start}'::timestamptz + (now() - '{start}'::timestamptz) * (g::float8 / ({entries} + 1))
        from generate_series(1, {entries}) g""")
    conn.execute("vacuum analyze public.audit_logs")


def admin_call(conn, sql: str, params: list) -> tuple[float, list]:
    """One list_audit_logs call as the admin, in a transaction as PostgREST runs it:
    the query's own time and its rows."""
    conn.execute("begin")
    try:
        conn.execute("select set_config('request.jwt.claims', %s, true), set_config('role', 'authenticated', true)",
                     [json.dumps({"sub": ADMIN_ID, "role": "authenticated"})])
        started = time.perf_counter()
        rows = conn.execute(sql, params).fetchall()
        return time.perf_counter() - started, rows
    finally:
        conn.execute("rollback")


LIST = "select id, created_at from public.list_audit_logs(%s, page_size => 50)"
LIST_AFTER = "select id, created_at from public.list_audit_logs(%s, before => %s, before_id => %s, page_size => 50)"


def list_p50(server) -> dict[str, float]:
    """p50 (ms) of the first page and of the next keyset page, interleaved."""
    times: dict[str, list[float]] = {"first": [], "next": []}
    with server.connect(DBNAME, autocommit=True) as conn:
        org = conn.execute("select md5('list-org-0')::uuid").fetchone()[0]
        for i in range(20 + LIST_CALLS):
            elapsed, page = admin_call(conn, LIST, [org])
            assert len(page) == 50, len(page)
            last_id, last_at = page[-1]
            elapsed_next, following = admin_call(conn, LIST_AFTER, [org, last_at, last_id])
            assert len(following) == 50 and following[0][1] <= last_at, following[:1]
            if i >= 20:
                times["first"].append(elapsed)
                times["next"].append(elapsed_next)
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def list_plan(server) -> str:
    """The plan of list_audit_logs' query, as auto_explain logs it (nested statements)."""
    notices: list[str] = []
    with server.connect(DBNAME, autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        conn.execute("load 'auto_explain'")
        conn.execute("set auto_explain.log_min_duration = 0")
        conn.execute("set auto_explain.log_nested_statements = on")
        conn.execute("set auto_explain.log_level = 'notice'")
        org = conn.execute("select md5('list-org-0')::uuid").fetchone()[0]
        for _ in range(8):  # past PL/pgSQL's custom plans: the generic plan is the one that stays
            admin_call(conn, LIST, [org])
        notices.clear()
        admin_call(conn, LIST, [org])
    plans = [n for n in notices if "audit_logs" in n and "Limit" in n]
    assert plans, notices
    return plans[-1]


def listing_and_retention(server) -> dict[str, float | bool | str]:
    """list_audit_logs on 10,000 then 1,000,000 entries; then retention on the latter."""
    out: dict[str, float | bool | str] = {}
    with server.connect(DBNAME, autocommit=True) as conn:
        first_month = conn.execute(
            f"select date_trunc('month', now() at time zone 'utc') - interval '{LIST_MONTHS - 1} months'").fetchone()[0]
        start = conn.execute("select %s::timestamp at time zone 'utc'", [first_month]).fetchone()[0].isoformat()
        for month in range(LIST_MONTHS):
            conn.execute("select private.create_audit_partition(%s::timestamp + make_interval(months => %s))",
                         [first_month, month])
        started = time.perf_counter()
        fill_log(conn, *LIST_SMALL, start)
    small = list_p50(server)
    with server.connect(DBNAME, autocommit=True) as conn:
        fill_log(conn, *LIST_LARGE, start)
        out["fill_1m_s"] = time.perf_counter() - started
        default_rows = conn.execute("select count(*) from private.audit_logs_default").fetchone()[0]
        assert default_rows == 0, f"{default_rows} entries in the default partition"
    large = list_p50(server)
    plan = list_plan(server)
    out["plan"] = plan
    # The page comes from index-only scans; no sort; a sequential scan only of an empty
    # partition (a month ahead: nothing to read, and the planner's cheapest path to it).
    with server.connect(DBNAME, autocommit=True) as conn:
        seq_scanned = re.findall(r"Seq Scan on (\w+)", plan)
        nonempty = [t for t in seq_scanned
                    if conn.execute(f"select exists (select from private.{t})").fetchone()[0]]
    out["index_only"] = ("Index Only Scan" in plan and not nonempty
                         and not re.search(r"->  Sort  |^Sort  ", plan, re.M))
    for kind in ("first", "next"):
        out[f"list_10k_{kind}_ms"] = small[kind]
        out[f"list_1m_{kind}_ms"] = large[kind]

    # Retention: a month of RETENTION_ROWS entries (older than the listed ones), by DELETE
    # and by dropping its partition (what purge_audit_logs and the upkeep run), rolled back.
    with server.connect(DBNAME, autocommit=True) as conn:
        month = conn.execute(f"select %s::timestamp - interval '{RETENTION_MONTHS_BACK - LIST_MONTHS + 1} months'",
                             [first_month]).fetchone()[0]
        conn.execute("select private.create_audit_partition(%s)", [month])
        lower = conn.execute("select %s::timestamp at time zone 'utc'", [month]).fetchone()[0]
        upper = conn.execute("select (%s::timestamp + interval '1 month') at time zone 'utc'", [month]).fetchone()[0]
        conn.execute(f"""
            insert into public.audit_logs (organization_id, action, entity_type, entity_id, new_values, created_at)
            select md5('list-org-' || (g %% 1000))::uuid, 'create', 'projects', md5(g::text)::uuid::text,
                   jsonb_build_object('id', md5(g::text)::uuid, 'name', 'Project ' || g),
                   %s::timestamptz + (%s::timestamptz - %s::timestamptz) * (g::float8 / ({RETENTION_ROWS} + 1))
            from generate_series(1, {RETENTION_ROWS}) g""", [lower, upper, lower])
        conn.execute("vacuum analyze public.audit_logs")
        month_rows = conn.execute("select count(*) from public.audit_logs where created_at >= %s and created_at < %s",
                                  [lower, upper]).fetchone()[0]
        assert month_rows == RETENTION_ROWS, month_rows
        times: dict[str, list[float]] = {"delete": [], "drop": []}
        for round_ in range(RETENTION_ROUNDS):
            for name in rotated(list(times), round_):
                conn.execute("begin")
                try:
                    if name == "delete":
                        started = time.perf_counter()
                        removed = conn.execute("delete from public.audit_logs where created_at >= %s and created_at < %s",
                                               [lower, upper]).rowcount
                    else:
                        started = time.perf_counter()
                        removed = conn.execute("select private.drop_audit_partitions(%s)", [upper]).fetchone()[0]
                    times[name].append(time.perf_counter() - started)
                    left = conn.execute("select count(*) from public.audit_logs where created_at < %s",
                                        [upper]).fetchone()[0]
                    assert left == 0 and removed == month_rows, (name, removed, month_rows, left)
                finally:
                    conn.execute("rollback")
    out["retention_month_rows"] = month_rows
    out["retention_delete_s"] = statistics.median(times["delete"])
    out["retention_drop_s"] = statistics.median(times["drop"])
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
            set_up(conn)

        print(f"bulk: {BULK_ROWS} rows per statement, {BULK_ROUNDS} interleaved rounds", flush=True)
        inserts, updates = bulk(server)
        print("single-row inserts in the database", flush=True)
        single = singles(server)
        cache = plan_cache(server)
        print("REST", flush=True)
        calls = rest(server, jwt_secret, authenticator_password, state_dir)
        print("list_audit_logs and retention", flush=True)
        reading = listing_and_retention(server)
    finally:
        server.stop()
        shutil.rmtree(state_dir, ignore_errors=True)

    def ratio(a: float, b: float, digits: int = 2) -> float:
        return round(a / b, digits)

    figures = {
        "bulk_plain_s": round(inserts["plain"], 3),
        "bulk_audited_s": round(inserts["partitioned"], 3),
        "bulk_audited_vs_plain": round(inserts["partitioned/plain"], 2),
        "bulk_generic_writer_vs_plain": round(inserts["partitioned, generic writer/plain"], 2),
        "bulk_staged_vs_plain": round(inserts["staged/plain"], 2),
        "bulk_legacy_vs_plain": round(inserts["legacy/plain"], 2),
        "bulk_update_plain_s": round(updates["plain"], 3),
        "bulk_update_audited_s": round(updates["partitioned"], 3),
        "bulk_update_audited_vs_plain": round(updates["partitioned/plain"], 2),
        "bulk_update_generic_writer_vs_plain": round(updates["partitioned, generic writer/plain"], 2),
        "bulk_update_staged_vs_plain": round(updates["staged/plain"], 2),
        "single_plain_us": round(single["plain"], 1),
        "single_audited_us": round(single["partitioned"], 1),
        "single_legacy_us": round(single["legacy"], 1),
        "single_audited_vs_plain": round(single["partitioned/plain"], 2),
        "single_audited_vs_plain_fastest": ratio(single["partitioned"], single["plain"]),
        "single_legacy_vs_plain": round(single["legacy/plain"], 2),
        "single_postgrest_sized_plain_us": round(single["sized_plain"], 1),
        "single_postgrest_sized_audited_us": round(single["sized_partitioned"], 1),
        "single_postgrest_sized_vs_plain": round(single["sized/plain"], 2),
        "single_after_bulk_us": round(single["after_bulk"], 1),
        "single_fresh_us": round(single["fresh"], 1),
        "single_after_bulk_vs_single": ratio(single["after_bulk"], single["fresh"]),
        "stale_plan_slowdown": round(cache["update_after_single_s"] / cache["update_first_s"], 1),
        "single_update_after_bulk_vs_single": ratio(cache["single_after_bulk_ms"], cache["single_first_ms"]),
        "rest_plain_ms": round(calls["plain"], 2),
        "rest_audited_ms": round(calls["audited"], 2),
        "rest_audited_vs_plain": ratio(calls["audited"], calls["plain"], 3),
        "list_10k_first_ms": round(reading["list_10k_first_ms"], 3),
        "list_1m_first_ms": round(reading["list_1m_first_ms"], 3),
        "list_10k_next_ms": round(reading["list_10k_next_ms"], 3),
        "list_1m_next_ms": round(reading["list_1m_next_ms"], 3),
        "audit_list_1m_vs_10k": ratio(max(reading["list_1m_first_ms"] / reading["list_10k_first_ms"],
                                          reading["list_1m_next_ms"] / reading["list_10k_next_ms"]), 1),
        "audit_list_index_only": reading["index_only"],
        "retention_month_rows": reading["retention_month_rows"],
        "retention_delete_s": round(reading["retention_delete_s"], 4),
        "retention_drop_s": round(reading["retention_drop_s"], 4),
        "retention_drop_vs_delete": ratio(reading["retention_delete_s"], reading["retention_drop_s"], 1),
        "bulk_rows": BULK_ROWS,
        "bulk_rounds": BULK_ROUNDS,
        "rest_requests": REST_REQUESTS,
        "total_s": round(time.perf_counter() - started, 1),
    }

    print(f"insert {BULK_ROWS} rows, one statement (median of {BULK_ROUNDS}; the ratio: median of the rounds' "
          f"ratios), vs plain {inserts['plain']:.3f} s (every copy keeps projects' foreign keys):")
    for name in INSERT_VARIANTS:
        print(f"  {name:<26} {inserts[name]:7.3f} s  x{inserts[name + '/plain']:.2f}")
    print(f"update {BULK_ROWS} rows, one statement:")
    for name in UPDATE_VARIANTS:
        print(f"  {name:<26} {updates[name]:7.3f} s  x{updates[name + '/plain']:.2f}")
    print(f"single-row insert in the database, as a member ({SINGLE_ROWS} statements, fastest of {SINGLE_ROUNDS} "
          f"rounds, median of the rounds' ratios):")
    for name in SINGLE_VARIANTS:
        print(f"  {name:<26} {single[name]:7.1f} us  x{single[name + '/plain']:.2f} "
              f"(fastest against fastest x{single[name] / single['plain']:.2f})")
    print(f"  with PostgREST-sized claims and headers: plain {single['sized_plain']:.1f} us, "
          f"shipped {single['sized_partitioned']:.1f} us, x{single['sized/plain']:.2f}")
    print(f"  shipped, new connection after a {BULK_ROWS}-row insert {single['after_bulk']:.1f} us, "
          f"after single-row warm-up {single['fresh']:.1f} us")
    print(f"update trigger plan cache: {PLAN_ROWS}-row update first {cache['update_first_s']:.3f} s, after a "
          f"single-row one {cache['update_after_single_s']:.3f} s; single-row update after a single-row one "
          f"{cache['single_first_ms']:.2f} ms, after a {JIT_ROWS}-row one {cache['single_after_bulk_ms']:.2f} ms")
    print(f"REST single-row POST, median of {REST_REQUESTS}: plain {calls['plain']:.2f} ms, "
          f"projects {calls['audited']:.2f} ms; entries with an ip: {calls['logged_with_ip']}")
    print("list_audit_logs p50 (first page, next keyset page):")
    print(f"  {LIST_SMALL[0]:>9} entries  {reading['list_10k_first_ms']:.3f} ms  {reading['list_10k_next_ms']:.3f} ms")
    print(f"  {LIST_LARGE[0]:>9} entries  {reading['list_1m_first_ms']:.3f} ms  {reading['list_1m_next_ms']:.3f} ms")
    print("  plan of its query on 1,000,000 entries (auto_explain):")
    print("    " + str(reading["plan"]).replace("\n", "\n    "))
    print(f"retention of one month ({reading['retention_month_rows']} entries): DELETE "
          f"{reading['retention_delete_s']:.4f} s, partition drop {reading['retention_drop_s']:.4f} s")
    print(f"total {figures['total_s']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
