"""Reads of active projects as the trash grows, through the real PostgREST.

Seeds, with set-based inserts through the real tables (every trigger fires, the
audit included), about 200,000 projects:

- organization E ("empty trash"): 1,000 active projects, none trashed;
- organization T ("90% trash"): 1,000 active projects and 9,000 trashed ones;
- 1,000 other organizations: 189,000 projects, one in ten trashed;

inserted interleaved (project p goes to its organization by p's remainders), so an
organization's rows are spread over the heap as in a shared table. Each of E and
T has one member (role `member`, in that organization only); each other
organization has an admin. Then `vacuum analyze`.

E and T are twins in everything but the trash: the same number of active rows,
the same spread, members alike. Measuring them side by side, interleaved, in one
run (rather than one organization before and after trashing 9,000 rows) keeps
machine noise out of the ratio: the only difference between the two requests is
whose trash is 90% of the organization's rows. Through the gateway and
PostgREST, real JWTs, one keep-alive client per member, interleaved rounds,
medians:

- `GET /rest/v1/active_projects?select=id,name&organization_id=eq.<org>`:
  `trash90_vs_empty` = T / E (target <= 1.2);
- the same without the filter (RLS alone picks the organization):
  `trash90_vs_empty_rls_only`.

EXPLAIN (ANALYZE) of both queries for T, as T's member the way PostgREST runs it
(`supakit.db.act_as`: role `authenticated` and `request.jwt.claims` set in the
transaction): `live_index_used` says whether projects is read through the partial
index on live rows (projects_organization_id_live_idx) in both.

Then the partial index is dropped (a throwaway database) and T / E measured again:
`trash90_vs_empty_without_live_index`, what the index is worth.

Everything runs on a throwaway cluster (`start_local`) torn down at the end.
Run: python bench/softdelete.py   (last line: one JSON object)
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
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

PROJECTS = 200_000  # generated rows: p = 1..PROJECTS
OTHER_ORGS = 1_000
ACTIVE = 1_000  # active projects of E and of T
WARMUP = 5
ROUNDS = 150
LIVE_INDEX = "projects_organization_id_live_idx"

DBNAME = "bench_softdelete"
SETTINGS = {
    **TEST_SETTINGS,
    "shared_buffers": "256MB",  # projects and its indexes fit: no disk in the figures
    "max_wal_size": "4GB",  # no checkpoint in the middle of the seed
    "autovacuum": "off",  # the seed is vacuumed explicitly; nothing runs behind the figures
}

EMPTY_ORG = "md5('org-empty')::uuid"
TRASH_ORG = "md5('org-trash')::uuid"
MEMBERS = {"empty": "md5('member-empty')::uuid", "trash": "md5('member-trash')::uuid"}

# Project p: p % 20 = 0 goes to T (10,000 rows; active when (p / 20) % 10 = 0, so
# 1,000), p % 200 = 7 to E (1,000 rows, all active), any other to organization
# p % OTHER_ORGS + 1 (trashed when p % 10 = 3). Trashed rows were deleted 0-59 days
# ago by their organization's member (others: by their admin).
SEED = f"""
insert into public.organizations (id, name, slug)
select md5('org' || o)::uuid, 'Organization ' || o, 'org-' || o from generate_series(1, {OTHER_ORGS}) o
union all select {EMPTY_ORG}, 'Empty trash', 'org-empty'
union all select {TRASH_ORG}, 'Ninety percent trash', 'org-trash';

-- As GoTrue writes them: explicit id, aud, role, app metadata and timestamps.
insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
select id, 'authenticated', 'authenticated', email, meta, '{{"provider": "email", "providers": ["email"]}}', now(), now()
from (
  select md5('admin' || o)::uuid as id, 'admin' || o || '@bench.test' as email,
         jsonb_build_object('name', 'Admin ' || o) as meta
  from generate_series(1, {OTHER_ORGS}) o
  union all select {MEMBERS['empty']}, 'member-empty@bench.test', '{{"name": "Member E"}}'
  union all select {MEMBERS['trash']}, 'member-trash@bench.test', '{{"name": "Member T"}}'
) as seeded;

insert into public.organization_members (organization_id, user_id, role)
select md5('org' || o)::uuid, md5('admin' || o)::uuid, 'admin'::public.user_role from generate_series(1, {OTHER_ORGS}) o
union all select {EMPTY_ORG}, {MEMBERS['empty']}, 'member'
union all select {TRASH_ORG}, {MEMBERS['trash']}, 'member';

insert into public.projects (name, organization_id, deleted_at, deleted_by)
select 'Project ' || p, x.org,
       case when x.trashed then now() - (p % 60) * interval '1 day' - (p % 1440) * interval '1 minute' end,
       case when x.trashed then x.deleter end
from generate_series(1, {PROJECTS}) p
cross join lateral (
  select case when p % 20 = 0 then {TRASH_ORG}
              when p % 200 = 7 then {EMPTY_ORG}
              else md5('org' || (p % {OTHER_ORGS} + 1))::uuid end as org,
         case when p % 20 = 0 then (p / 20) % 10 <> 0
              when p % 200 = 7 then false
              else p % 10 = 3 end as trashed,
         case when p % 20 = 0 then {MEMBERS['trash']}
              when p % 200 = 7 then {MEMBERS['empty']}
              else md5('admin' || (p % {OTHER_ORGS} + 1))::uuid end as deleter
) x;
"""

COUNTS = f"""
select (select count(*) from public.projects),
       (select count(*) from public.projects where deleted_at is not null),
       (select count(*) filter (where deleted_at is null) from public.projects where organization_id = {EMPTY_ORG}),
       (select count(*) filter (where deleted_at is not null) from public.projects where organization_id = {EMPTY_ORG}),
       (select count(*) filter (where deleted_at is null) from public.projects where organization_id = {TRASH_ORG}),
       (select count(*) filter (where deleted_at is not null) from public.projects where organization_id = {TRASH_ORG}),
       {EMPTY_ORG}::text, {TRASH_ORG}::text, {MEMBERS['empty']}::text, {MEMBERS['trash']}::text
"""

# What PostgREST's reads of `select=id,name` scan (its json_agg wrapper is on top).
QUERY = 'select "active_projects"."id", "active_projects"."name" from "public"."active_projects"'


def explain(server, claims: dict, query: str, repeat: int = 3) -> dict:
    """`query` EXPLAIN ANALYZE'd as the member (the fastest of `repeat`): how projects is read."""
    with server.connect(DBNAME, autocommit=True) as conn:
        plans = []
        for _ in range(repeat):
            with act_as(conn, claims):  # one transaction, as one PostgREST request
                plans.append(conn.execute(f"explain (analyze, timing off, format json) {query}").fetchone()[0][0])
    plan = min(plans, key=lambda p: p["Execution Time"])
    scans: list[str] = []

    def walk(node: dict) -> None:
        kind = node["Node Type"]
        if "Index" in kind and node.get("Index Name", "").startswith("projects_"):
            scans.append(f"{kind} on {node['Index Name']}")
        elif kind == "Seq Scan" and node.get("Relation Name") == "projects":
            scans.append("Seq Scan on projects")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return {
        "live_index": any(scan.endswith(f" on {LIVE_INDEX}") for scan in scans),
        "scans": scans,
        "db_ms": plan["Execution Time"],
    }


def client(rest: RestEndpoint, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=rest.rest_url, headers={"apikey": rest.anon_key, "Authorization": f"Bearer {token}"}, timeout=60.0
    )


def main() -> None:
    project = find_project()
    jwt_secret = secrets.token_urlsafe(32)
    authenticator_password = secrets.token_urlsafe(18)
    figures: dict[str, object] = {}
    started = time.perf_counter()
    server = start_local(SETTINGS)
    rest: RestEndpoint | None = None
    clients: list[httpx.Client] = []
    state_dir = Path(tempfile.mkdtemp(prefix="supakit-bench-softdelete-"))
    try:
        databases.create_migrated(server, DBNAME, project, authenticator_password)

        figures["seed_s"] = round(common.seed(server, DBNAME, SEED), 1)
        with server.connect(DBNAME) as conn:
            (total, trashed, e_active, e_trashed, t_active, t_trashed,
             empty_org, trash_org, empty_member, trash_member) = conn.execute(COUNTS).fetchone()
        assert e_active == t_active == ACTIVE and e_trashed == 0 and t_trashed == 9 * ACTIVE, \
            (e_active, e_trashed, t_active, t_trashed)
        figures.update(projects=total, trashed=trashed, org_active=ACTIVE, org_trashed_t=t_trashed)

        rest = start_rest(
            server, DBNAME, jwt_secret=jwt_secret, authenticator_password=authenticator_password,
            state_dir=state_dir,
        )
        claims = {
            "empty": tokens.user_claims(empty_member, email="member-empty@bench.test"),
            "trash": tokens.user_claims(trash_member, email="member-trash@bench.test"),
        }
        http = {name: client(rest, tokens.sign(c, jwt_secret)) for name, c in claims.items()}
        clients += list(http.values())
        orgs = {"empty": empty_org, "trash": trash_org}
        callers = {}
        for name in ("empty", "trash"):
            callers[f"{name}_filtered"] = partial(
                common.fetch, http[name], f"/active_projects?select=id,name&organization_id=eq.{orgs[name]}")
            callers[f"{name}_rls"] = partial(common.fetch, http[name], "/active_projects?select=id,name")

        medians, rows = common.interleaved(callers, ROUNDS, WARMUP)
        assert all(len(r) == ACTIVE for r in rows.values()), {k: len(r) for k, r in rows.items()}

        filtered_query = f"{QUERY} where \"active_projects\".\"organization_id\" = '{trash_org}'"
        plans = {
            "trash_filtered": explain(server, claims["trash"], filtered_query),
            "trash_rls": explain(server, claims["trash"], QUERY),
            "empty_filtered": explain(
                server, claims["empty"], f"{QUERY} where \"active_projects\".\"organization_id\" = '{empty_org}'"),
        }

        # What the partial index is worth: the same requests without it.
        with server.connect(DBNAME, autocommit=True) as conn:
            conn.execute(f"drop index public.{LIVE_INDEX}")
        without = {name: callers[name] for name in ("empty_filtered", "trash_filtered")}
        without_medians, without_rows = common.interleaved(without, ROUNDS, WARMUP)
        assert all(len(r) == ACTIVE for r in without_rows.values()), {k: len(r) for k, r in without_rows.items()}
        without_plan = explain(server, claims["trash"], filtered_query)
    finally:
        for c in clients:
            c.close()
        if rest is not None:
            rest.stop()
        server.stop()
        shutil.rmtree(state_dir, ignore_errors=True)

    figures.update(
        empty_ms=round(medians["empty_filtered"], 2),
        trash90_ms=round(medians["trash_filtered"], 2),
        trash90_vs_empty=round(medians["trash_filtered"] / medians["empty_filtered"], 3),
        empty_rls_ms=round(medians["empty_rls"], 2),
        trash90_rls_ms=round(medians["trash_rls"], 2),
        trash90_vs_empty_rls_only=round(medians["trash_rls"] / medians["empty_rls"], 3),
        live_index_used=plans["trash_filtered"]["live_index"] and plans["trash_rls"]["live_index"],
        trash90_db_ms=round(plans["trash_filtered"]["db_ms"], 3),
        empty_db_ms=round(plans["empty_filtered"]["db_ms"], 3),
        trash90_vs_empty_without_live_index=round(
            without_medians["trash_filtered"] / without_medians["empty_filtered"], 3),
        trash90_without_live_index_db_ms=round(without_plan["db_ms"], 3),
        rounds=ROUNDS,
        total_s=round(time.perf_counter() - started, 1),
    )

    print(f"seeded in {figures['seed_s']} s (no trigger disabled): {total} projects, {trashed} of them trashed")
    print(f"E: {ACTIVE} active, 0 trashed; T: {ACTIVE} active, {t_trashed} trashed; one member each")
    print(f"GET active_projects?select=id,name&organization_id=eq.<org>, median of {ROUNDS}:")
    print(f"  E (empty trash)   {figures['empty_ms']:7.2f} ms  (in the database {figures['empty_db_ms']} ms)")
    print(f"  T (90% trash)     {figures['trash90_ms']:7.2f} ms  (in the database {figures['trash90_db_ms']} ms)  "
          f"trash90_vs_empty {figures['trash90_vs_empty']}  (target <= 1.2)")
    print(f"    plan: {'; '.join(plans['trash_filtered']['scans'])}")
    print("GET active_projects?select=id,name (RLS alone):")
    print(f"  E                 {figures['empty_rls_ms']:7.2f} ms")
    print(f"  T                 {figures['trash90_rls_ms']:7.2f} ms  trash90_vs_empty_rls_only "
          f"{figures['trash90_vs_empty_rls_only']}")
    print(f"    plan: {'; '.join(plans['trash_rls']['scans'])}")
    print(f"live_index_used: {str(figures['live_index_used']).lower()}")
    print(f"without {LIVE_INDEX}: E {without_medians['empty_filtered']:.2f} ms, T "
          f"{without_medians['trash_filtered']:.2f} ms (in the database {figures['trash90_without_live_index_db_ms']} ms)"
          f"  trash90_vs_empty_without_live_index {figures['trash90_vs_empty_without_live_index']}")
    print(f"    plan: {'; '.join(without_plan['scans'])}")
    print(f"total {figures['total_s']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
