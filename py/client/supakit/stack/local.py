"""The local stack (`supakit up`): Postgres, PostgREST, the auth server, the gateway and PgBouncer, no Docker.

Like `supabase start`: the API on 54321, Postgres on 54322 (or the project's
ports), the local development JWT secret, data kept across `down` and `up`. Every
step checks what already runs, so `up` twice changes nothing and `up` after a crash
restarts only what died; a failed `up` stops what it started.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from .. import config, tokens
from ..errors import ConfigError
from ..migrate import MigrateResult, migrate
from ..project import Project
from ..providers.base import ADMIN_ROLE, MIGRATE_ROLE, PostgresServer, free_port, wait_until_accepting
from ..providers.local import LocalCluster, reachable_by_server_user
from ..seed import apply_seed
from . import cron, pooler, processes
from .auth.users import create_session, create_user
from .bootstrap import apply_bootstrap
from .rest import API, ApiSpec, RestEndpoint, api_running, start_api, stop_api

STACK_SETTINGS = {"max_connections": "100"}
DB_NAME = "postgres"


@dataclass
class StackState:
    """What the first `up` decided and every later command must agree on: `.supakit/stack.json`."""

    api_port: int = 54321
    db_port: int = 54322
    # Internal (behind the gateway): free ports chosen at the first `up`, then kept.
    postgrest_port: int = 0
    postgrest_admin_port: int = 0
    auth_port: int = 0
    # PgBouncer (transaction mode): 54329 like `supabase start`'s pooler for the default ports, else a free port.
    pooler_port: int = 0
    jwt_secret: str = tokens.DEFAULT_JWT_SECRET
    db_password: str = "postgres"
    authenticator_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    # Where the cluster lives, decided at the first `up`: "" means `.supakit/db`.
    cluster_dir: str = ""
    # The cluster's superuser, decided when it is initialised: `supabase_admin`, so that
    # `postgres` migrates without superuser as on Supabase. A stack made by an older
    # supakit (no such key in its stack.json) has `postgres` as superuser.
    admin_user: str = MIGRATE_ROLE
    pids: dict[str, int] = field(default_factory=dict)


class Stack:
    def __init__(self, project: Project):
        self.project = project
        self.dir = project.state_dir
        self.state_file = self.dir / "stack.json"
        self.state = self._load()
        # PostgrestConfig fields to override (bench/load.py compares pool sizes with it).
        self.postgrest_overrides: dict[str, object] = {}

    # -- what the stack is

    @property
    def cluster_dir(self) -> Path:
        return Path(self.state.cluster_dir) if self.state.cluster_dir else self.dir / "db"

    @property
    def cluster(self) -> LocalCluster:
        return LocalCluster(self.cluster_dir, self.state.db_port, self.state.db_password,
                            STACK_SETTINGS | cron.server_settings(DB_NAME), superuser=self.state.admin_user)

    @property
    def server(self) -> PostgresServer:
        """The cluster as its superuser (`supabase_admin`): bootstrap, extensions, databases."""
        return self.cluster.server(backend="stack")

    @property
    def db_url(self) -> str:
        """The database as `postgres`, the role that migrates and seeds (and that users
        connect as, like `supabase start`'s DB URL): no superuser, as on Supabase."""
        return self.server.migrate_url(DB_NAME)

    @property
    def admin_url(self) -> str:
        """The database as the cluster's superuser, for what only Supabase's own admin does."""
        return self.server.url(DB_NAME)

    @property
    def strict(self) -> bool:
        """Whether `postgres` is not a superuser here (false for a stack an older supakit made)."""
        return self.state.admin_user != MIGRATE_ROLE

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.state.api_port}"

    def endpoint(self) -> RestEndpoint:
        s = self.state
        return RestEndpoint(
            self.api_url, tokens.api_key("anon", s.jwt_secret), tokens.api_key("service_role", s.jwt_secret), s.jwt_secret
        )

    def info(self) -> dict[str, str]:
        endpoint = self.endpoint()
        return {
            "api_url": self.api_url,
            "rest_url": endpoint.rest_url,
            "auth_url": f"{self.api_url}/auth/v1",
            "db_url": self.db_url,
            "pooler_url": self.server.url(DB_NAME, user=self.server.migrate_user, port=self.state.pooler_port),
            "jwt_secret": self.state.jwt_secret,
            "anon_key": endpoint.anon_key,
            "service_role_key": endpoint.service_key,
        }

    def running(self) -> dict[str, bool]:
        pids = self.state.pids
        return {
            "postgres": self.cluster.initialized() and self.cluster.running(),
            **api_running(pids),
            "pooler": processes.alive(pids.get("pooler"), pooler.BINARY),
        }

    # -- lifecycle

    def choose_ports(self, api_port: int | None = None, db_port: int | None = None) -> None:
        """Ports are chosen before the first `up` (flags, else the project's settings);
        changing them later would orphan clients."""
        wanted = {"api_port": api_port, "db_port": db_port}
        if self.state_file.exists():
            for name, value in wanted.items():
                if value is not None and value != getattr(self.state, name):
                    raise ConfigError(
                        f"the stack in {self.dir} uses {name.replace('_', ' ')} {getattr(self.state, name)}; "
                        f"to change it: supakit down, remove {self.dir}, supakit up --{name.replace('_', '-')} {value}"
                    )
            return
        if api_port is not None:
            self.state.api_port = api_port
        if db_port is not None:
            self.state.db_port = db_port

    def up(self) -> MigrateResult:
        """Start whatever is not running, bootstrap, migrate (and seed a new database);
        returns what migrate did. On failure, stops what this call started."""
        started: list[str] = []
        try:
            return self._up(started)
        except BaseException:
            self._stop(started)
            raise

    def _up(self, started: list[str]) -> MigrateResult:
        had_state = self.state_file.exists()
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self.state.postgrest_port:
            self.state.postgrest_port, self.state.postgrest_admin_port = free_port(), free_port()
        if not self.state.auth_port:
            self.state.auth_port = free_port()
        if not self.state.pooler_port:
            self.state.pooler_port = 54329 if self.state.db_port == 54322 else free_port()
        if not self.state_file.exists() and not (self.dir / "db").exists():
            self.state.cluster_dir = self._choose_cluster_dir()
        self._save()  # the ports, secrets and data directory are fixed from the first `up` on
        cluster = self.cluster
        fresh = not cluster.initialized()
        if fresh:
            self.state.admin_user = ADMIN_ROLE  # a new cluster: Supabase's superuser, not `postgres`
            self._save()
            cluster = self.cluster
            cluster.init()
        if not cluster.running():
            cluster.start()
            started.append("postgres")
        wait_until_accepting(self.server)
        if not fresh and not had_state:
            self._adopt_superuser()
        result = self._prepare_database(seed=fresh)
        started += start_api(self.api_spec(), self.dir, self.state.pids, detach=True)
        if self._start_pooler():
            started.append("pooler")
        self._save()
        return result

    def _adopt_superuser(self) -> None:
        """A cluster whose stack.json was removed: its superuser is `supabase_admin` unless
        an older supakit made it (then `postgres`); ask the server rather than guess."""
        try:
            with psycopg.connect(self.server.url(user=ADMIN_ROLE), connect_timeout=5) as conn:
                conn.execute("select 1")
        except psycopg.OperationalError:
            return
        self.state.admin_user = ADMIN_ROLE
        self._save()

    def _prepare_database(self, *, seed: bool) -> MigrateResult:
        """Bootstrap and pg_cron as the superuser (Supabase's own setup); migrations and
        seeds as `postgres`, so one needing a superuser fails here as on deploy."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            apply_bootstrap(conn, authenticator_password=self.state.authenticator_password,
                            migrate_password=self.server.migrate_password)
            cron.enable(conn)  # before migrating: migrations schedule their jobs where pg_cron runs
        result = migrate(self.db_url, self.project)
        if seed:
            apply_seed(self.db_url, self.project)
        return result

    def reset(self) -> MigrateResult:
        """Drop the local database, then bootstrap, migrate and seed it again (`supakit db reset`)."""
        if not self.state_file.exists() or not self.running()["postgres"]:
            raise ConfigError("the local stack is not running: `supakit up` first (reset only acts on the local stack)")
        from ..testing import databases

        server = self.server
        databases.drop(server, DB_NAME, maintenance_db="template1")
        with server.connect("template1", autocommit=True) as admin:
            admin.execute(f"create database {DB_NAME}")
        result = self._prepare_database(seed=True)
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            conn.execute("notify pgrst, 'reload schema'")
        return result

    def _choose_cluster_dir(self) -> str:
        """"" (`.supakit/db`) when the Postgres OS user can reach it; as root in a private
        directory (mode 700: /root/app, a fresh mktemp -d), a directory of its own under
        /var/lib/supakit, named after the project."""
        if reachable_by_server_user(self.dir):
            return ""
        digest = hashlib.sha256(str(self.project.root).encode()).hexdigest()[:12]
        return str(Path(config.env("SUPAKIT_STACK_DATA_DIR", "/var/lib/supakit")) / f"{self.project.root.name}-{digest}")

    def down(self) -> None:
        """Stop every process; the data directory stays."""
        self._stop(["pooler", *API, "postgres"])

    def _stop(self, components: list[str]) -> None:
        if "pooler" in components:
            processes.stop(self.state.pids.pop("pooler", None), pooler.BINARY)
        stop_api(self.state.pids, components)
        if "postgres" in components and self.cluster.initialized():
            self.cluster.stop(mode="fast")
        if self.state_file.exists():
            self._save()

    def api_spec(self) -> ApiSpec:
        """PostgREST, the auth server and the gateway as `start_api` starts them here: the
        ports of stack.json, the project's schemas, the auth server as `postgres` (no
        superuser); GoTrue's password flows at /auth/v1, its log holds the confirmation links."""
        s = self.state
        return ApiSpec(
            db_uri=self.server.url(DB_NAME, user="authenticator", password=s.authenticator_password),
            auth_db_url=self.db_url,
            jwt_secret=s.jwt_secret,
            port=s.api_port,
            postgrest_port=s.postgrest_port,
            postgrest_admin_port=s.postgrest_admin_port,
            auth_port=s.auth_port,
            # bench/load.py compares pool sizes with `postgrest_overrides`
            postgrest={"schemas": ", ".join(self.project.settings.schemas), **self.postgrest_overrides},
            auth={"email_confirmations": config.env_flag("SUPAKIT_AUTH_EMAIL_CONFIRMATIONS")},
        )

    def _start_pooler(self) -> bool:
        """PgBouncer in front of the cluster; its files live with the cluster's, which the
        postgres OS user (PgBouncer's user when we are root) can reach."""
        s = self.state
        if processes.alive(s.pids.get("pooler"), pooler.BINARY):
            return False
        users = {"postgres": s.db_password, "authenticator": s.authenticator_password}
        config = pooler.PoolerConfig(s.pooler_port, s.db_port, users)
        s.pids["pooler"] = pooler.start_pooler(config, self.cluster_dir / "pooler", detach=True).pid
        return True

    # -- state file

    def _load(self) -> StackState:
        if not self.state_file.exists():
            settings = self.project.settings
            return StackState(api_port=settings.api_port, db_port=settings.db_port)
        try:
            return StackState(**json.loads(self.state_file.read_text()))
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"{self.state_file} is not a supakit stack state ({exc}); move it away and run `supakit up`"
            ) from None

    def _save(self) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self.state), indent=2) + "\n")
        os.chmod(tmp, 0o600)  # it holds the secrets
        tmp.replace(self.state_file)


def user_token(db_url: str, jwt_secret: str, email: str, *, create: bool = True, lifetime: int = 3600) -> tuple[str, bool]:
    """An access token for the local user `email` (created as GoTrue would, when missing); (token, created).

    The token names a real session of the user, so `/auth/v1/user` accepts it too."""
    with psycopg.connect(db_url, autocommit=True) as conn, conn.transaction():
        row = conn.execute("select id from auth.users where lower(email) = lower(%s) and not is_sso_user",
                           (email,)).fetchone()
        created = False
        if row is None:
            if not create:
                raise ConfigError(f"no local user with email {email!r} (drop --no-create to create one)")
            user_id = create_user(conn, email)
            created = True
        else:
            user_id = str(row[0])
        session_id = create_session(conn, user_id)
        meta = conn.execute("select raw_user_meta_data, email from auth.users where id = %s", (user_id,)).fetchone()
    claims = tokens.user_claims(user_id, meta[1], meta[0] or {}, lifetime=lifetime, session_id=session_id)
    return tokens.sign(claims, jwt_secret), created
