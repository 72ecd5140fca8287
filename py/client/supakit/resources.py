"""The SQL supakit ships: the compat bootstrap and the `saas` template's schema.

It is package data (the repository's top-level `sql/`, put into the package when
it is built), read through `importlib.resources` so an installed wheel and a
source checkout behave alike.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from .errors import ConfigError


def sql_root() -> Traversable:
    root = files("supakit") / "sql"
    if not root.is_dir():
        raise ConfigError(
            "supakit's SQL is missing from the installed package (supakit/sql): reinstall supakit"
        )
    return root


def read_sql(*parts: str) -> str:
    """The text of one packaged SQL file, e.g. `read_sql("bootstrap", "supabase_compat.sql")`."""
    item = sql_root().joinpath(*parts)
    if not item.is_file():
        raise ConfigError(f"supakit's packaged SQL has no {'/'.join(parts)}: reinstall supakit")
    return item.read_text(encoding="utf-8")


def template_files(template: str = "saas") -> dict[str, str]:
    """Project-relative path -> text of every file a template writes into `sql/`."""
    if template != "saas":
        raise ConfigError(f"unknown template {template!r}: the only template is 'saas'")
    found: dict[str, str] = {}
    for directory in ("migrations", "functions", "policies", "tests"):
        for item in sorted(sql_root().joinpath(directory).iterdir(), key=lambda i: i.name):
            if item.is_file() and item.name.endswith(".sql"):
                found[f"sql/{directory}/{item.name}"] = item.read_text(encoding="utf-8")
    return found
