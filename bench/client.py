"""The client's costs, side by side in one run.

Starts a throwaway cluster (`start_local`), bootstraps and migrates it, starts the
real PostgREST behind the gateway (`start_rest`), and seeds one user with one
organization holding PROJECTS projects, through the client itself. Then, each
caller holding one keep-alive HTTP session (or one pool), in interleaved rounds
(each round starts with the next caller in turn), medians in ms:

- `client_vs_postgrest`: `Client.projects.list(org)` (an `Op`, supabase-py's
  PostgREST client, rows parsed into `Project` models) against raw postgrest-py
  (`SyncPostgrestClient`) sending the same request (`GET /active_projects?select=*&
  organization_id=eq.<org>&order=created_at.asc,id.asc`) and keeping the JSON.
  Target <= 1.10: what the typed client adds per call.
- the same for an RPC (`has_org_access`), `client_vs_postgrest_rpc`.
- `rest_vs_pool_rpc`: `Client.organizations.list_mine()` (the RPC
  `my_organizations`) through REST against the same service over the psycopg
  pool (`Pool.as_user`: role and claims set per transaction), how many times
  slower the HTTP path is.

Run: python bench/client.py   (last line: one JSON object)
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from postgrest import SyncPostgrestClient

import common
from supakit import Client, Pool, tokens
from supakit.stack.auth.users import create_user
from supakit.project import find_project
from supakit.testing import databases
from supakit.providers.local import start_local
from supakit.stack.rest import RestEndpoint, start_rest

DBNAME = "bench_client"
PROJECTS = 20
WARMUP = 30
ROUNDS = 400


def measure(calls: dict[str, Callable[[], Any]]) -> tuple[dict[str, float], dict[str, Any]]:
    """Whole calls timed (the client's work is what is measured), interleaved."""
    return common.interleaved({name: common.timed(call) for name, call in calls.items()}, ROUNDS, WARMUP)


def main() -> None:
    project = find_project()
    jwt_secret = secrets.token_urlsafe(32)
    authenticator_password = secrets.token_urlsafe(18)
    server = start_local()
    state_dir = Path(tempfile.mkdtemp(prefix="supakit-bench-client-"))
    rest: RestEndpoint | None = None
    closers: list[Callable[[], Any]] = []
    try:
        databases.create_migrated(server, DBNAME, project, authenticator_password)
        rest = start_rest(server, DBNAME, jwt_secret=jwt_secret, authenticator_password=authenticator_password,
                          state_dir=state_dir)

        with psycopg.connect(server.url(DBNAME), autocommit=True) as conn:
            user_id = create_user(conn, "bench@example.test", "bench-password")
        token = tokens.sign(tokens.user_claims(user_id, "bench@example.test"), jwt_secret)

        client = Client(rest.url, rest.anon_key, access_token=token)
        closers.append(client.close)
        org = client.organizations.create("Bench", "bench")
        for i in range(PROJECTS):
            client.projects.create(org.id, f"Project {i}")
        raw = SyncPostgrestClient(rest.rest_url, headers={"apikey": rest.anon_key, "Authorization": f"Bearer {token}"})
        closers.append(raw.aclose)
        pool = Pool(server.url(DBNAME, user="authenticator", password=authenticator_password))
        closers.append(pool.close)
        over_pool = pool.as_user(user_id, "bench@example.test")

        org_id = str(org.id)
        list_medians, list_results = measure({
            "client": lambda: client.projects.list(org_id),
            "postgrest": lambda: raw.from_("active_projects").select("*").eq("organization_id", org_id)
            .order("created_at").order("id").execute().data,
        })
        assert [str(p.id) for p in list_results["client"]] == [p["id"] for p in list_results["postgrest"]]
        assert len(list_results["client"]) == PROJECTS

        rpc_medians, rpc_results = measure({
            "client": lambda: client.organizations.has_access(org_id),
            "postgrest": lambda: raw.rpc("has_org_access", {"organization_id": org_id}).execute().data,
        })
        assert rpc_results["client"] is rpc_results["postgrest"] is True

        transport_medians, transport_results = measure({
            "rest": client.organizations.list_mine,
            "pool": over_pool.organizations.list_mine,
        })
        assert transport_results["rest"] == transport_results["pool"]
    finally:
        for close in reversed(closers):
            close()
        if rest is not None:
            rest.stop()
        server.stop()
        shutil.rmtree(state_dir, ignore_errors=True)

    figures = {
        "client_ms": round(list_medians["client"], 3),
        "postgrest_ms": round(list_medians["postgrest"], 3),
        "client_vs_postgrest": round(list_medians["client"] / list_medians["postgrest"], 3),
        "client_rpc_ms": round(rpc_medians["client"], 3),
        "postgrest_rpc_ms": round(rpc_medians["postgrest"], 3),
        "client_vs_postgrest_rpc": round(rpc_medians["client"] / rpc_medians["postgrest"], 3),
        "rest_rpc_ms": round(transport_medians["rest"], 3),
        "pool_rpc_ms": round(transport_medians["pool"], 3),
        "rest_vs_pool_rpc": round(transport_medians["rest"] / transport_medians["pool"], 2),
        "projects_per_list": PROJECTS,
        "rounds": ROUNDS,
    }
    print(f"list {PROJECTS} projects   client {figures['client_ms']:7.3f} ms   raw postgrest-py "
          f"{figures['postgrest_ms']:7.3f} ms   client_vs_postgrest {figures['client_vs_postgrest']}  (target <= 1.10)")
    print(f"rpc has_org_access      client {figures['client_rpc_ms']:7.3f} ms   raw postgrest-py "
          f"{figures['postgrest_rpc_ms']:7.3f} ms   client_vs_postgrest_rpc {figures['client_vs_postgrest_rpc']}")
    print(f"rpc my_organizations    REST   {figures['rest_rpc_ms']:7.3f} ms   pool "
          f"{figures['pool_rpc_ms']:7.3f} ms   rest_vs_pool_rpc {figures['rest_vs_pool_rpc']}")
    print(f"(medians of {ROUNDS} interleaved rounds after {WARMUP} warm-up calls each; keep-alive sessions)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
