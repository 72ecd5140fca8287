"""RLS costs at scale, through the real PostgREST, side by side in one run.

Seeds 10,000 organizations, 50,000 users (auth.users; the product's trigger makes
their profiles), about 100,000 memberships (each user in 1-3 organizations) and
1,000,000 projects (100 per organization), with set-based inserts, then
`vacuum analyze`. Nothing of the schema is disabled: every trigger fires.

The measured member belongs to exactly one organization, a typical one (100
projects, about ten members). Then, through the gateway and PostgREST, with real
JWTs and one keep-alive `httpx.Client` per caller, in interleaved rounds (median):

- member:  `GET /rest/v1/projects?select=id,name` with the member's token; RLS
  (the project's `projects_select` policy,
  `organization_id = any (array(select private.my_org_ids()))`: the helper's result
  as an array, an InitPlan parameter an index condition can use) picks the rows;
- service: the same rows as service_role, which bypasses RLS, with an explicit
  `organization_id=eq.<org>` filter;
- `rls_vs_filter` = member / service (target <= 1.25);
- member + filter: the member sending the same explicit filter (what apps are
  told to add), to show what the policy costs once the index is usable.

EXPLAIN (ANALYZE) of the member's query, run as the member the way PostgREST runs
it (`supakit.db.act_as`: role and `request.jwt.claims` set per transaction), says
whether projects is read through one of its indexes (`index_scan`). (The earlier
policy, `organization_id in (select private.my_org_ids())`, was planned as a hashed
SubPlan filter over every project: `rls_vs_filter` was about 41.)

The naive variant: `projects_select` replaced, in the same database, by the
membership check people write first, a correlated subquery on the membership
table calling `auth.uid()` bare:

    exists (select 1 from public.organization_members m
            where m.organization_id = projects.organization_id
              and m.user_id = auth.uid())

It reads organization_members as the caller, so that table's own RLS policy
applies to the subquery, as it would in an app. (A non-set-returning helper
called per row, `private.is_member(organization_id)`, was the other first draft
considered; the subquery is what tutorials and first drafts contain, and needs no helper.)
`naive_vs_ours` = naive / member: how many times faster the project's policy is.

Order: ours (member, service and member + filter interleaved), then the naive
policy, swapped in with `alter policy` (PostgREST caches no policy; the warm-up
requests follow the swap), and the project's policy put back at the end.

Everything runs on a throwaway cluster (`start_local`) torn down at the end.
Run: python bench/rls.py   (last line: one JSON object)
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from functools import partial
from pathlib import Path

import httpx

import common
from supakit import tokens
from supakit.db import act_as
from supakit.project import find_project
from supakit.testing import databases
from supakit.providers.local import TEST_SETTINGS, start_local
from supakit.stack.rest import RestEndpoint, start_rest

ORGS = 10_000
USERS = 50_000
PROJECTS = 1_000_000  # PROJECTS / ORGS = 100 per organization
MEMBER = 30_000  # user n is in 1 + n % 3 organizations: this one in exactly one
WARMUP = 5
ROUNDS = 50
NAIVE_ROUNDS = 9  # the naive policy reads every project: fewer, slower requests

DBNAME = "bench_rls"
SETTINGS = {
    **TEST_SETTINGS,
    "shared_buffers": "256MB",  # projects and its indexes fit: no disk in the figures
    "max_wal_size": "4GB",  # no checkpoint in the middle of the seed
    "autovacuum": "off",  # the seed is vacuumed explicitly; nothing runs behind the figures
}

# The naive policy's USING expression: bench/sql/rls_naive_policy.sql, its comments left out.
NAIVE_POLICY = "\n".join(
    line for line in (Path(__file__).resolve().parent / "sql" / "rls_naive_policy.sql").read_text().splitlines()
    if line.strip() and not line.startswith("--")
)

# Deterministic ids (md5 of a label), so every run seeds the same data.
SEED = f"""
insert into public.organizations (id, name, slug)
select md5('org' || o)::uuid, 'Organization ' || o, 'org-' || o
from generate_series(1, {ORGS}) o;

-- As GoTrue writes them: explicit id, aud, role, app metadata and timestamps.
insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
select md5('user' || u)::uuid, 'authenticated', 'authenticated', 'user' || u || '@bench.test',
       jsonb_build_object('name', 'User ' || u), '{{"provider": "email", "providers": ["email"]}}', now(), now()
from generate_series(1, {USERS}) u;

-- User u is in 1 + u % 3 organizations: org ((u - 1 + 3331 t) % ORGS) + 1 for t < 1 + u % 3
-- (distinct for t = 0, 1, 2). Users 1..ORGS are the admin of "their" organization
-- (t = 0), so each organization has one; third memberships are viewers.
insert into public.organization_members (organization_id, user_id, role)
select md5('org' || (((u - 1 + 3331 * t) % {ORGS}) + 1))::uuid, md5('user' || u)::uuid,
       (case when t = 0 and u <= {ORGS} then 'admin' when t = 2 then 'viewer' else 'member' end)::public.user_role
from generate_series(1, {USERS}) u
cross join generate_series(0, 2) t
where t < 1 + u % 3;

-- Project p belongs to org ((p - 1) % ORGS) + 1: 100 each, inserted interleaved
-- like a shared table's rows are, so an organization's rows are spread over the heap.
insert into public.projects (name, organization_id)
select 'Project ' || p, md5('org' || (((p - 1) % {ORGS}) + 1))::uuid
from generate_series(1, {PROJECTS}) p;
"""

COUNTS = """
select (select count(*) from public.organizations),
       (select count(*) from auth.users),
       (select count(*) from public.profiles),
       (select count(*) from public.organization_members),
       (select count(*) from public.projects)
"""

# What PostgREST's read of `select=id,name` scans; its json_agg wrapper is on top.
MEMBER_QUERY = 'select "projects"."id", "projects"."name" from "public"."projects"'


def the_member(server) -> tuple[str, str, int, int]:
    """The member's id and only organization, its member and project counts."""
    with server.connect(DBNAME) as conn:
        user_id = conn.execute("select md5(%s)::uuid::text", [f"user{MEMBER}"]).fetchone()[0]
        orgs = conn.execute(
            "select organization_id::text from public.organization_members where user_id = %s", [user_id]
        ).fetchall()
        assert len(orgs) == 1, f"the measured user must be in exactly one organization, not {len(orgs)}"
        org = orgs[0][0]
        members, projects = conn.execute(
            "select (select count(*) from public.organization_members where organization_id = %(o)s),"
            "       (select count(*) from public.projects where organization_id = %(o)s)",
            {"o": org},
        ).fetchone()
    return user_id, org, members, projects


def set_policy(server, expression: str) -> None:
    """Swap `projects_select`'s USING expression (its role and command stay)."""
    with server.connect(DBNAME, autocommit=True) as conn:
        conn.execute(f"alter policy projects_select on public.projects using ({expression})")


def current_policy(server) -> str:
    with server.connect(DBNAME) as conn:
        return conn.execute(
            "select pg_get_expr(polqual, polrelid) from pg_policy "
            "where polrelid = 'public.projects'::regclass and polname = 'projects_select'"
        ).fetchone()[0]


def explain(server, claims: dict, repeat: int = 3) -> dict:
    """The member's query, EXPLAIN ANALYZE'd as the member; what it reads projects with.

    `timing off` keeps per-node clock reads out of the execution time; the fastest
    of `repeat` runs on one connection leaves out its first-call costs.
    """
    with server.connect(DBNAME, autocommit=True) as conn:
        project_indexes = {
            row[0] for row in conn.execute(
                "select c.relname::text from pg_index i join pg_class c on c.oid = i.indexrelid "
                "where i.indrelid = 'public.projects'::regclass"
            )
        }
        plans = []
        for _ in range(repeat):
            with act_as(conn, claims):  # one transaction, as one PostgREST request
                plans.append(conn.execute(f"explain (analyze, timing off, format json) {MEMBER_QUERY}").fetchone()[0][0])
    plan = min(plans, key=lambda p: p["Execution Time"])
    scans: list[str] = []

    def walk(node: dict) -> None:
        kind = node["Node Type"]
        if kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan") and node.get("Index Name") in project_indexes:
            scans.append(f"{kind} on {node['Index Name']}")
        elif kind == "Seq Scan" and node.get("Relation Name") == "projects":
            scans.append(f"Seq Scan on projects ({node.get('Rows Removed by Filter', 0)} rows removed by filter)")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return {
        "index_scan": bool(scans) and not any(scan.startswith("Seq Scan") for scan in scans),
        "scans": scans,
        "db_ms": plan["Execution Time"],
    }


def client(rest: RestEndpoint, apikey: str, token: str) -> httpx.Client:
    """One caller's keep-alive client, as an app holds it."""
    return httpx.Client(
        base_url=rest.rest_url, headers={"apikey": apikey, "Authorization": f"Bearer {token}"}, timeout=60.0
    )


def rows_key(rows: list) -> list:
    return sorted(row["id"] for row in rows)


def main() -> None:
    project = find_project()
    jwt_secret = secrets.token_urlsafe(32)
    authenticator_password = secrets.token_urlsafe(18)
    figures: dict[str, object] = {}
    server = start_local(SETTINGS)
    rest: RestEndpoint | None = None
    clients: list[httpx.Client] = []
    state_dir = Path(tempfile.mkdtemp(prefix="supakit-bench-rls-"))
    try:
        databases.create_migrated(server, DBNAME, project, authenticator_password)
        ours = current_policy(server)

        figures["seed_s"] = round(common.seed(server, DBNAME, SEED), 1)
        with server.connect(DBNAME) as conn:
            counts = conn.execute(COUNTS).fetchone()
        figures.update(zip(("organizations", "users", "profiles", "memberships", "projects"), counts))
        user_id, org, org_members, org_projects = the_member(server)
        figures.update(member_org_members=org_members, member_org_projects=org_projects)

        rest = start_rest(
            server, DBNAME, jwt_secret=jwt_secret, authenticator_password=authenticator_password,
            state_dir=state_dir,
        )
        claims = tokens.user_claims(user_id, email=f"user{MEMBER}@bench.test")
        member = client(rest, rest.anon_key, tokens.sign(claims, jwt_secret))
        service = client(rest, rest.service_key, rest.service_key)
        clients += [member, service]
        member_call = partial(common.fetch, member, "/projects?select=id,name")
        service_call = partial(common.fetch, service, f"/projects?select=id,name&organization_id=eq.{org}")
        member_filtered_call = partial(common.fetch, member, f"/projects?select=id,name&organization_id=eq.{org}")

        # Ours against the explicit filter.
        medians, rows = common.interleaved(
            {"member": member_call, "service": service_call, "member_filtered": member_filtered_call}, ROUNDS, WARMUP
        )
        assert len(rows["member"]) == org_projects, f"the member got {len(rows['member'])} rows, not {org_projects}"
        assert rows_key(rows["member"]) == rows_key(rows["service"]) == rows_key(rows["member_filtered"]), \
            "the member and service_role must get the same rows"
        ours_plan = explain(server, claims)

        # The naive policy.
        set_policy(server, NAIVE_POLICY)
        naive_medians, naive_rows = common.interleaved({"naive": member_call}, NAIVE_ROUNDS, WARMUP)
        assert rows_key(naive_rows["naive"]) == rows_key(rows["member"]), "the naive policy must give the same rows"
        naive_plan = explain(server, claims)
        set_policy(server, ours)
    finally:
        for http in clients:
            http.close()
        if rest is not None:
            rest.stop()
        server.stop()
        shutil.rmtree(state_dir, ignore_errors=True)

    member_ms, service_ms = medians["member"], medians["service"]
    figures.update(
        member_ms=round(member_ms, 2),
        service_ms=round(service_ms, 2),
        rls_vs_filter=round(member_ms / service_ms, 2),
        member_filtered_ms=round(medians["member_filtered"], 2),
        member_filtered_vs_filter=round(medians["member_filtered"] / service_ms, 2),
        index_scan=ours_plan["index_scan"],
        member_db_ms=round(ours_plan["db_ms"], 2),
        naive_ms=round(naive_medians["naive"], 2),
        naive_db_ms=round(naive_plan["db_ms"], 2),
        naive_vs_ours=round(naive_medians["naive"] / member_ms, 2),
        rounds=ROUNDS,
        naive_rounds=NAIVE_ROUNDS,
    )

    print(f"seeded in {figures['seed_s']} s (no trigger disabled): {figures['organizations']} organizations, "
          f"{figures['users']} users ({figures['profiles']} profiles), {figures['memberships']} memberships, "
          f"{figures['projects']} projects")
    print(f"measured member: 1 organization, {org_members} members, {org_projects} projects")
    print(f"member, RLS       {figures['member_ms']:8.2f} ms  (median of {ROUNDS}; in the database {figures['member_db_ms']} ms)")
    print(f"service + filter  {figures['service_ms']:8.2f} ms  rls_vs_filter {figures['rls_vs_filter']}  (target <= 1.25)")
    print(f"  plan: {'; '.join(ours_plan['scans'])}  index_scan: {str(figures['index_scan']).lower()}")
    print(f"member + filter   {figures['member_filtered_ms']:8.2f} ms  (RLS and the same explicit filter; "
          f"vs service {figures['member_filtered_vs_filter']})")
    print(f"naive policy      {figures['naive_ms']:8.2f} ms  (median of {NAIVE_ROUNDS}; in the database "
          f"{figures['naive_db_ms']} ms)  naive_vs_ours {figures['naive_vs_ours']}")
    print(f"  plan: {'; '.join(naive_plan['scans'])}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
