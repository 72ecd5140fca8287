"""The local stack under load: capacity, latency under queueing, errors and the audit trail.

Starts `supakit up` on free ports in a temporary copy of this project (stopped and
removed at the end), seeds ORGS organizations with USERS_PER_ORG real users each
(real tokens signed with the stack's secret), and drives the API through the nginx
gateway from one asyncio process (a keep-alive HTTP/1.1 client on asyncio streams,
bench/rawhttp.py: httpx costs ~5 times its CPU per request), with a mix per request:

- 70% list the organization's active projects (`GET /active_projects?...`),
- 25% writes: create (10%), rename (8%), soft-delete (7%) a project (`POST`,
  `PATCH`, `DELETE /projects`),
- 5% RPCs: `my_organizations` (3%), `restore_project` (2%).

Phases (lengths scaled by `--seconds-scale` / `SUPAKIT_BENCH_SECONDS_SCALE`):

1. capacity: CLIENTS closed-loop clients for 60 s (`rps`), and the same mix for
   60 s against a second PostgREST (behind its own nginx) serving the same database
   as a role that bypasses RLS, whose sessions run with
   `session_replication_role = replica` so the audit triggers do not fire (foreign
   keys and `updated_at` are enabled `always` for projects; soft delete is the
   `PATCH` the trigger would do):
   `rps_vs_bare`, goal >= 0.6. The two run in alternating halves so that noise on
   the shared machine falls on both;
2. one client, closed loop, 10 s: the list call's p50 (`single_client_p50_ms`),
   and an open loop at half the capacity for 30 s: requests start on a fixed
   schedule, whether or not earlier answers came back (so queueing shows), latency
   counted from the scheduled start (or from the real start, for a request the
   generator starts up to a millisecond early): p99 of the list call /
   single_client_p50 (`p99_at_half_capacity_vs_single_p50`, goal <= 5). The two
   alternate in SLICES slices (single, open, single, open, ...): the machine's
   speed drifts over minutes, and the figure divides one by the other.

Over all phases against the real stack: `errors_5xx` and `connection_errors` must
be 0 and every 4xx one the client expected (`unexpected_4xx`); `audit_missing`
counts acknowledged writes without exactly their audit row (by entity and action),
checked in the database afterwards. `loadgen_cpu_share`: the generator's CPU time
over the CPU time of the generator, Postgres, PostgREST and nginx together.

Bounded: every phase stops at its time, the open loop caps requests in flight,
the whole run stops at MAX_REQUESTS; traffic goes to 127.0.0.1 only.

Run: python bench/load.py [--seconds-scale 0.1] [--db-pool N] [--clients N]
(last line: one JSON object)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "py" / "client"))

from supakit import tokens  # noqa: E402
from supakit.project import load_project  # noqa: E402
from supakit.providers.base import free_port  # noqa: E402
from supakit.stack import Stack, gateway, postgrest  # noqa: E402

from rawhttp import RawHttp, Response  # noqa: E402  (bench/ is on sys.path when run as a script)

ORGS = 20
USERS_PER_ORG = 3
SEEDED_PROJECTS_PER_USER = 4
CLIENTS = 50
SINGLE_SECONDS, CAPACITY_SECONDS, OPEN_SECONDS = 10.0, 60.0, 30.0
MAX_REQUESTS = 3_000_000
MAX_IN_FLIGHT = 400
SLICES = 3  # the single client and the open loop alternate, so that drift falls on both
TIMER_STEP = 0.001  # asyncio's sleeps end on whole milliseconds (rounded up)
BARE_ROLE, BARE_LOGIN = "bench_bare", "bench_bare_authenticator"
# The mix: cumulative weights out of 100.
MIX = (("list", 70), ("create", 80), ("rename", 88), ("delete", 95), ("my_orgs", 98), ("restore", 100))


# --- the users and what each one knows ------------------------------------------------------


@dataclass
class User:
    id: str
    org_id: str
    token: str
    bare_token: str
    active: list[str] = field(default_factory=list)   # projects this user created and may touch
    trashed: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """What the clients saw, per phase."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    unexpected: list[str] = field(default_factory=list)
    completed: int = 0
    dropped: int = 0  # open loop: a start skipped because MAX_IN_FLIGHT were pending


class Load:
    """Sends the mix for users through one gateway (the real stack, or the bare one)."""

    def __init__(self, http: dict[str, RawHttp], base: str, anon_key: str, bare: bool, budget: list[int],
                 unexpected: list[str]):
        # One keep-alive connection per user and gateway (a user has one request in flight at a time).
        self.sessions, self.base, self.anon_key, self.bare, self.budget = http, base, anon_key, bare, budget
        self.unexpected = unexpected
        self.acknowledged: Counter = Counter()  # (entity_id, action) -> writes the client saw succeed
        self._headers: dict[str, dict[str, str]] = {}

    def headers(self, user: User) -> dict[str, str]:
        """Built once per user: the generator's CPU per request is what keeps it light."""
        cached = self._headers.get(user.id)
        if cached is None:
            cached = self._headers[user.id] = {
                "apikey": self.anon_key, "Authorization": f"Bearer {user.bare_token if self.bare else user.token}",
                "Content-Type": "application/json"}
        return cached

    def pick(self, rng: random.Random, user: User) -> str:
        roll = rng.random() * 100
        kind = next(name for name, upto in MIX if roll < upto)
        if kind in ("rename", "delete") and not user.active:
            return "create"
        if kind == "restore" and not user.trashed:
            return "my_orgs"
        return kind

    async def one(self, rng: random.Random, user: User, tally: Tally, started: float | None = None) -> None:
        """One request of the mix; `started` is its scheduled start (open loop), else now."""
        if self.budget[0] <= 0:
            return
        self.budget[0] -= 1
        kind = self.pick(rng, user)
        start = time.perf_counter() if started is None else started
        try:
            expected, ack = await self.send(kind, user, rng)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError) as exc:
            tally.connection_errors += 1
            tally.unexpected.append(f"{kind}: {type(exc).__name__}")
            return
        tally.latencies[kind].append(time.perf_counter() - start)
        tally.completed += 1
        tally.statuses[expected] += 1
        if ack is not None:
            self.acknowledged[ack] += 1

    async def send(self, kind: str, user: User, rng: random.Random) -> tuple[int, tuple[str, str] | None]:
        """Sends one request, keeps the user's view of their projects; (status, acknowledged write)."""
        h, rest, http = self.headers(user), self.base, self.sessions[user.id]
        if kind == "list":
            r = await http.request("GET", f"{rest}/active_projects?organization_id=eq.{user.org_id}"
                                   "&order=created_at.asc,id.asc&limit=50", h)
            return self.check(r, 200, kind), None
        if kind == "create":
            r = await http.request("POST", f"{rest}/projects", h | {"Prefer": "return=representation"},
                                   {"organization_id": user.org_id, "name": f"load {rng.random():.6f}"})
            if self.check(r, 201, kind) != 201:
                return r.status_code, None
            pid = r.json()[0]["id"]
            user.active.append(pid)
            return 201, (pid, "create")
        if kind == "rename":
            pid = rng.choice(user.active)
            r = await http.request("PATCH", f"{rest}/projects?id=eq.{pid}", h, {"name": f"renamed {rng.random():.6f}"})
            return self.check(r, 204, kind), (pid, "update") if r.status_code == 204 else None
        if kind == "delete":
            pid = user.active.pop(rng.randrange(len(user.active)))
            if self.bare:  # what the soft-delete trigger does, done by the client (no triggers here)
                r = await http.request("PATCH", f"{rest}/projects?id=eq.{pid}", h,
                                       {"deleted_at": "now", "deleted_by": user.id})
            else:
                r = await http.request("DELETE", f"{rest}/projects?id=eq.{pid}", h)
            ok = self.check(r, 204, kind) == 204
            (user.trashed if ok else user.active).append(pid)
            return r.status_code, (pid, "soft_delete") if ok else None
        if kind == "my_orgs":
            r = await http.request("POST", f"{rest}/rpc/my_organizations", h, {})
            return self.check(r, 200, kind), None
        pid = user.trashed.pop(rng.randrange(len(user.trashed)))
        r = await http.request("POST", f"{rest}/rpc/restore_project", h, {"project_id": pid})
        ok = self.check(r, 200, kind) == 200
        (user.active if ok else user.trashed).append(pid)
        return r.status_code, (pid, "restore") if ok else None

    def check(self, r: Response, want: int, kind: str) -> int:
        """The status; an unexpected one is kept (a few) for the report."""
        if r.status_code != want and len(self.unexpected) < 20:
            self.unexpected.append(f"{kind}: {r.status_code} {r.text[:160]}")
        return r.status_code


# --- phases ----------------------------------------------------------------------------------


async def closed_loop(load: Load, users: list[User], clients: int, seconds: float, seed: int) -> Tally:
    """`clients` loops, each sending its next request when the last answer came."""
    tally = Tally()
    stop = time.perf_counter() + seconds

    async def client(i: int) -> None:
        rng, user = random.Random(seed * 1000 + i), users[i % len(users)]
        while time.perf_counter() < stop and load.budget[0] > 0:
            await load.one(rng, user, tally)

    await asyncio.gather(*(client(i) for i in range(clients)))
    tally.statuses["_seconds"] = seconds
    return tally


async def open_loop(load: Load, users: list[User], rate: float, seconds: float, seed: int) -> Tally:
    """Requests started every 1/rate s on schedule, latency from the scheduled start.

    The event loop's timers wake in whole milliseconds, rounded up (epoll), so a sleep until
    the due time overslept by up to 1 ms and that lateness was counted as the stack's: the loop
    wakes up to a millisecond early instead, and a request started before its due time counts
    from its real start (never from a later due time)."""
    tally, rng = Tally(), random.Random(seed)
    pending: set[asyncio.Task] = set()
    begin, n = time.perf_counter(), int(rate * seconds)
    busy: set[int] = set()  # a user has one request in flight at a time (their view of their projects)
    for k in range(n):
        due = begin + k / rate
        delay = due - time.perf_counter()
        if delay > TIMER_STEP:
            await asyncio.sleep(delay - TIMER_STEP)
        due = min(due, time.perf_counter())
        free = [i for i in (rng.randrange(len(users)) for _ in range(4)) if i not in busy]
        if len(pending) >= MAX_IN_FLIGHT or not free or load.budget[0] <= 0:
            tally.dropped += 1
            continue
        i = free[0]
        busy.add(i)
        task = asyncio.create_task(load.one(random.Random(rng.random()), users[i], tally, started=due))
        pending.add(task)
        task.add_done_callback(lambda t, i=i: (pending.discard(t), busy.discard(i)))
    if pending:
        await asyncio.wait(pending, timeout=30)
    tally.statuses["_seconds"] = seconds
    return tally


# --- the stack, the bare twin, the seed -----------------------------------------------------------


def seed(db_url: str, jwt_secret: str) -> list[User]:
    """ORGS organizations of USERS_PER_ORG users each; the first creates the org through its RPC."""
    users: list[User] = []
    run = uuid.uuid4().hex[:6]
    with psycopg.connect(db_url, autocommit=True) as conn:
        for o in range(ORGS):
            ids = [str(conn.execute("insert into auth.users (id, email, email_confirmed_at) values (gen_random_uuid(), %s, now()) returning id",
                                    (f"load{o}-{u}-{run}@example.test",)).fetchone()[0]) for u in range(USERS_PER_ORG)]
            with conn.transaction():
                conn.execute("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                             (json.dumps({"sub": ids[0], "role": "authenticated"}),))
                org_id = str(conn.execute("select id from public.create_organization(%s, %s)",
                                          (f"Load {o}", f"load-{o}-{run}")).fetchone()[0])
            for uid in ids[1:]:
                conn.execute("insert into public.organization_members (organization_id, user_id, role) values (%s, %s, 'member')",
                             (org_id, uid))
            for uid in ids:
                claims = tokens.user_claims(uid, None, None, lifetime=7200)
                user = User(uid, org_id, tokens.sign(claims, jwt_secret),
                            tokens.sign(claims | {"role": BARE_ROLE}, jwt_secret))
                for p in range(SEEDED_PROJECTS_PER_USER):
                    user.active.append(str(conn.execute(
                        "insert into public.projects (organization_id, name) values (%s, %s) returning id",
                        (org_id, f"seeded {p}")).fetchone()[0]))
                users.append(user)
        conn.execute("vacuum (analyze) public.projects, public.organization_members, public.audit_logs")
    return users


def bare_role(db_url: str, password: str) -> None:
    """A role that bypasses RLS, logging in with triggers off: what PostgREST costs without our rules."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        for stmt in (
            f"drop role if exists {BARE_LOGIN}", f"drop owned by {BARE_ROLE}" if _role(conn, BARE_ROLE) else "select 1",
            f"drop role if exists {BARE_ROLE}",
            f"create role {BARE_ROLE} nologin bypassrls",
            f"grant usage on schema public to {BARE_ROLE}",
            f"grant select, insert, update, delete on all tables in schema public to {BARE_ROLE}",
            f"grant execute on all functions in schema public to {BARE_ROLE}",
            f"grant usage on schema auth to {BARE_ROLE}",  # auth.uid() in my_organizations
            f"create role {BARE_LOGIN} login noinherit password '{password}'",
            f"grant {BARE_ROLE}, anon to {BARE_LOGIN}",  # anon: the gateway's readiness probe uses the anon key
            f"alter role {BARE_LOGIN} set session_replication_role = replica",
        ):
            conn.execute(stmt)
        # Replica sessions skip every trigger not enabled `always`: keep the foreign keys and
        # updated_at (the schema's rules), so what the bare run lacks is RLS and the audit trail.
        conn.execute("""
            do $$ declare t record; begin
              for t in select tgname from pg_catalog.pg_trigger
                       where tgrelid = 'public.projects'::regclass and (tgisinternal or tgname like '%touch_updated_at')
              loop execute pg_catalog.format('alter table public.projects enable always trigger %I', t.tgname); end loop;
            end $$""")


def _role(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select exists (select 1 from pg_roles where rolname = %s)", (name,)).fetchone()[0]


@dataclass
class Bare:
    api_port: int
    processes: list


def start_bare(stack: Stack, workdir: Path, pool: int) -> Bare:
    password = uuid.uuid4().hex
    bare_role(stack.admin_url, password)  # session_replication_role: a superuser setting
    port, admin, api = free_port(), free_port(), free_port()
    config = postgrest.PostgrestConfig(
        db_uri=stack.server.url("postgres", user=BARE_LOGIN, password=password), jwt_secret=stack.state.jwt_secret,
        port=port, admin_port=admin, anon_role=BARE_ROLE, pool=pool,
    )
    rest = postgrest.start_postgrest(config, workdir / "bare-postgrest")
    endpoint = stack.endpoint()
    try:
        nginx = gateway.start_gateway(gateway.GatewayConfig(api, port, endpoint.anon_key, endpoint.service_key),
                                      workdir / "bare-gateway")
    except BaseException:
        rest.kill()  # nothing of the bench outlives it
        rest.wait()
        raise
    return Bare(api, [rest, nginx])


def stack_pids(stack: Stack) -> list[int]:
    """Postgres (the postmaster and its children), PostgREST and nginx of the stack."""
    pids = [stack.state.pids.get("postgrest"), stack.state.pids.get("gateway")]
    postmaster = stack.cluster.postmaster_pid()
    if postmaster:
        pids.append(postmaster)
        pids += [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == postmaster]
    return [p for p in pids if p]


def _ppid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of live processes (children that came and went are not counted)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


# --- figures -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def audit_check(db_url: str, acknowledged: Counter, since: str) -> tuple[int, int]:
    """(missing, extra): acknowledged writes whose audit rows, per entity and action, are fewer or more."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "select entity_id, action, count(*) from public.audit_logs "
            "where entity_type = 'projects' and created_at >= %s group by 1, 2", (since,)
        ).fetchall()
    seen = Counter({(e, a): n for e, a, n in rows})
    missing = sum(max(0, n - seen[key]) for key, n in acknowledged.items())
    extra = sum(max(0, n - acknowledged[key]) for key, n in seen.items())
    return missing, extra


def rps(tally: Tally) -> float:
    return tally.completed / tally.statuses["_seconds"]


def merge(a: Tally, b: Tally) -> Tally:
    out = Tally()
    for t in (a, b):
        for k, v in t.latencies.items():
            out.latencies[k] += v
        out.statuses.update(t.statuses)
        out.connection_errors += t.connection_errors
        out.unexpected += t.unexpected
        out.completed += t.completed
        out.dropped += t.dropped
    return out


async def run(args: argparse.Namespace, stack: Stack, bare: Bare, users: list[User], bare_users: list[User]) -> dict:
    scale = args.seconds_scale
    budget = [MAX_REQUESTS]
    endpoint = stack.endpoint()
    unexpected_responses: list[str] = []
    sessions = {u.id: RawHttp("127.0.0.1", stack.state.api_port) for u in users}
    sessions |= {u.id: RawHttp("127.0.0.1", bare.api_port) for u in bare_users}
    try:
        real = Load(sessions, "/rest/v1", endpoint.anon_key, False, budget, unexpected_responses)
        base = Load(sessions, "/rest/v1", endpoint.anon_key, True, budget, unexpected_responses)
        with psycopg.connect(stack.db_url, autocommit=True) as conn:
            since = conn.execute("select now()::text").fetchone()[0]

        await closed_loop(real, users, 4, 2.0 * scale, seed=1)  # warm the pools and plans
        await closed_loop(base, bare_users, 4, 2.0 * scale, seed=1)

        pids = stack_pids(stack)
        me0, them0, wall0 = time.process_time(), cpu_seconds(pids), time.perf_counter()
        half = CAPACITY_SECONDS * scale / 2
        cap_a = await closed_loop(real, users, args.clients, half, seed=3)
        bare_a = await closed_loop(base, bare_users, args.clients, half, seed=3)
        bare_b = await closed_loop(base, bare_users, args.clients, half, seed=4)
        cap_b = await closed_loop(real, users, args.clients, half, seed=4)
        me1, them1, wall1 = time.process_time(), cpu_seconds(pids), time.perf_counter()
        capacity, bare_capacity = merge(cap_a, cap_b), merge(bare_a, bare_b)

        # The single client and the open loop in alternating slices: the machine's speed drifts over
        # minutes, and the figure divides one by the other.
        open_rate = rps(capacity) / 2
        single, opened = Tally(), Tally()
        for part in range(SLICES):
            single = merge(single, await closed_loop(real, users[:1], 1, SINGLE_SECONDS * scale / SLICES, seed=20 + part))
            opened = merge(opened, await open_loop(real, users, open_rate, OPEN_SECONDS * scale / SLICES, seed=50 + part))
        single_p50 = statistics.median(single.latencies["list"]) * 1000
        with psycopg.connect(stack.admin_url, autocommit=True) as c:
            rows = c.execute("select usename, extract(epoch from now() - backend_start)::int from pg_stat_activity where backend_type = 'client backend' order by 2").fetchall()
            print("BACKENDS", rows, flush=True)
    finally:
        await asyncio.gather(*(session.aclose() for session in sessions.values()))

    real_phases = [single, capacity, opened]
    statuses = Counter()
    for t in real_phases:
        statuses.update({k: v for k, v in t.statuses.items() if k != "_seconds"})
    bare_statuses = Counter({k: v for k, v in bare_capacity.statuses.items() if k != "_seconds"})
    missing, extra = audit_check(stack.db_url, real.acknowledged, since)
    generator, served = me1 - me0, them1 - them0
    p99_open = percentile(opened.latencies["list"], 0.99) * 1000
    return {
        "single_client_p50_ms": round(single_p50, 3),
        "rps": round(rps(capacity), 1),
        "rps_bare": round(rps(bare_capacity), 1),
        "rps_vs_bare": round(rps(capacity) / rps(bare_capacity), 3),
        "capacity_list_p50_ms": round(percentile(capacity.latencies["list"], 0.5) * 1000, 3),
        "capacity_list_p99_ms": round(percentile(capacity.latencies["list"], 0.99) * 1000, 3),
        # The slowest answer of any kind at capacity: what db-pool-acquisition-timeout must stay above.
        "capacity_max_ms": round(max(max(v) for v in capacity.latencies.values()) * 1000, 3),
        "open_loop_rps_target": round(open_rate, 1),
        "open_loop_rps": round(rps(opened), 1),
        "open_loop_dropped": opened.dropped,
        "p99_at_half_capacity_ms": round(p99_open, 3),
        "p50_at_half_capacity_ms": round(percentile(opened.latencies["list"], 0.5) * 1000, 3),
        "p99_at_half_capacity_vs_single_p50": round(p99_open / single_p50, 3),
        "errors_5xx": sum(n for s, n in statuses.items() if s >= 500),
        "bare_errors_5xx": sum(n for s, n in bare_statuses.items() if s >= 500),
        "connection_errors": sum(t.connection_errors for t in real_phases) + bare_capacity.connection_errors,
        "unexpected_4xx": sum(n for s, n in statuses.items() if 400 <= s < 500),
        "unexpected_responses": unexpected_responses[:5],
        "acknowledged_writes": sum(real.acknowledged.values()),
        "audit_missing": missing,
        "audit_extra": extra,
        "requests": sum(t.completed for t in real_phases) + bare_capacity.completed,
        "loadgen_cpu_share": round(generator / (generator + served), 3) if generator + served else None,
        "loadgen_cpu_of_machine": round(generator / ((wall1 - wall0) * (os.cpu_count() or 1)), 3),
        "stack_cpu_of_machine": round(served / ((wall1 - wall0) * (os.cpu_count() or 1)), 3),
        "clients": args.clients,
        "db_pool": args.db_pool,
        "db_pool_acquisition_timeout_s": args.acquisition_timeout,
        "seconds_scale": scale,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds-scale", type=float, default=float(os.environ.get("SUPAKIT_BENCH_SECONDS_SCALE", "1")),
                        help="multiply every phase's length (development runs: 0.1)")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--db-pool", type=int, default=postgrest.PostgrestConfig.pool,
                        help="PostgREST db-pool for the stack and the bare twin")
    parser.add_argument("--acquisition-timeout", type=int, default=postgrest.PostgrestConfig.pool_acquisition_timeout)
    args = parser.parse_args()
    if not 0 < args.seconds_scale <= 1 or not 1 <= args.clients <= ORGS * USERS_PER_ORG:
        parser.error(f"--seconds-scale must be in (0, 1] and --clients in 1..{ORGS * USERS_PER_ORG} (a user each)")

    root = Path(tempfile.mkdtemp(prefix="supakit-bench-load-"))
    os.chmod(root, 0o755)  # the postgres OS user must reach the data directory
    shutil.copytree(ROOT / "sql", root / "sql")
    stack = Stack(load_project(root))
    stack.postgrest_overrides = {"pool": args.db_pool, "pool_acquisition_timeout": args.acquisition_timeout}
    bare: Bare | None = None
    try:
        stack.choose_ports(free_port(), free_port())
        stack.up()
        users = seed(stack.db_url, stack.state.jwt_secret)
        bare = start_bare(stack, root / ".bench", args.db_pool)
        bare_users = seed(stack.db_url, stack.state.jwt_secret)  # their own orgs: the two runs never share rows
        figures = asyncio.run(run(args, stack, bare, users, bare_users))
    finally:
        if bare is not None:
            for process in reversed(bare.processes):
                process.kill()
                process.wait()
        stack.down()
        shutil.rmtree(root, ignore_errors=True)

    print(f"single client        list p50 {figures['single_client_p50_ms']:8.3f} ms")
    print(f"capacity ({figures['clients']} clients) {figures['rps']:8.1f} req/s   bare {figures['rps_bare']:8.1f} req/s"
          f"   rps_vs_bare {figures['rps_vs_bare']} (goal >= 0.6)")
    print(f"open loop at {figures['open_loop_rps_target']} req/s   list p99 {figures['p99_at_half_capacity_ms']:8.3f} ms"
          f"   p99_at_half_capacity_vs_single_p50 {figures['p99_at_half_capacity_vs_single_p50']} (goal <= 5)")
    print(f"errors_5xx {figures['errors_5xx']}   connection_errors {figures['connection_errors']}   "
          f"unexpected_4xx {figures['unexpected_4xx']}   audit_missing {figures['audit_missing']} of "
          f"{figures['acknowledged_writes']} acknowledged writes   load generator CPU share {figures['loadgen_cpu_share']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
