"""`supakit init`: make a project a team can commit, and bring template fixes to it later.

The `saas` template's SQL is written as the user's own files. A manifest
(`sql/.supakit-template.json`, committed) records which template version wrote which
file with which checksum, so running the template again after upgrading supakit adds
new migrations (never rewriting one that exists), updates the repeatable files the
user left untouched, and shows a diff for the ones they changed instead of
overwriting them.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from ..config import LAYOUTS, detect_layout, has_table
from ..errors import ConfigError
from ..resources import template_files

MANIFEST = "sql/.supakit-template.json"


def _asset(name: str) -> str:
    return files("supakit.scaffold").joinpath("files", name).read_text(encoding="utf-8")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class InitResult:
    created: list[str] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # user-changed repeatables: diff shown, not overwritten
    diffs: dict[str, str] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    layout: str = "supakit"


def supakit_table(layout: str) -> str:
    if layout == "supabase":
        return (
            "\n[tool.supakit]\n"
            "# The Supabase CLI's layout: migrations in supabase/migrations (timestamped),\n"
            "# seed in supabase/seed.sql. SUPAKIT_* variables and flags override these.\n"
            'layout = "supabase"\n'
            'schemas = ["public"]\n'
            'test-backend = "auto"          # container when Docker answers, else local binaries\n'
            'models = "supakit_models.py"   # where `supakit gen models` writes\n'
        )
    return (
        "\n[tool.supakit]\n"
        "# supakit's defaults, written out; SUPAKIT_* variables and flags override them.\n"
        'migrations = "sql/migrations"\n'
        'functions = "sql/functions"    # repeatable: re-applied when changed\n'
        'policies = "sql/policies"      # repeatable: re-applied when changed\n'
        'seed = ["sql/seed.sql"]\n'
        "api-port = 54321\n"
        "db-port = 54322\n"
        'schemas = ["public"]\n'
        'test-backend = "auto"          # container when Docker answers, else local binaries\n'
        'models = "supakit_models.py"   # where `supakit gen models` writes\n'
    )


def pytest_table(layout: str) -> str:
    sql_tests = "supabase/tests" if layout == "supabase" else "sql/tests"
    return f'\n[tool.pytest.ini_options]\ntestpaths = ["tests", "{sql_tests}"]\n'


def init_project(root: Path, template: str | None = None, layout: str | None = None) -> InitResult:
    """Write what a new project needs; with `template`, the template's SQL too (or its upgrade)."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    layout = layout or detect_layout(root)
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    if template and layout != "supakit":
        raise ConfigError(
            f"the {template!r} template has repeatable functions and policies, which the Supabase CLI "
            "layout has no place for: use it in a project with supakit's layout (`--layout supakit`)"
        )
    result = InitResult(layout=layout)
    upgrading = template is not None and (root / MANIFEST).exists()
    if template is not None and not upgrading:
        _refuse_clobbering(root, template_files(template))
    _write_base(root, layout, template, result)
    if template is not None:
        _write_template(root, template, result)
    return result


def _refuse_clobbering(root: Path, wanted: dict[str, str]) -> None:
    clashes = [rel for rel, text in wanted.items() if (root / rel).exists() and (root / rel).read_text() != text]
    if clashes:
        shown = ", ".join(clashes[:5]) + (f" and {len(clashes) - 5} more" if len(clashes) > 5 else "")
        raise ConfigError(
            f"refusing to overwrite files the template would write: {shown} "
            f"(no {MANIFEST} says supakit wrote them); move them away or init another directory"
        )


def _write_base(root: Path, layout: str, template: str | None, result: InitResult) -> None:
    if layout == "supabase":
        dirs = {"migrations": root / "supabase" / "migrations"}
        seed, sql_tests = root / "supabase" / "seed.sql", root / "supabase" / "tests"
    else:
        dirs = {name: root / "sql" / name for name in ("migrations", "functions", "policies")}
        seed, sql_tests = root / "sql" / "seed.sql", root / "sql" / "tests"
    for directory in dirs.values():
        directory.mkdir(parents=True, exist_ok=True)
    if layout == "supakit":
        _create(root, dirs["migrations"] / "README.md", _asset("migrations-README.md"), result)
    _create(root, seed, _asset("seed.sql"), result)
    _create(root, root / "tests" / "test_database.py", _asset("test_database.py"), result)
    if not (sql_tests.is_dir() and any(sql_tests.rglob("*.sql"))):
        _create(root, sql_tests / "rls_test.sql", _asset("rls_test.sql"), result)
    if template == "saas":
        _create(root, root / "tests" / "test_tenancy.py", _asset("test_tenancy.py"), result)
    _ensure_line(root, root / ".gitignore", ".supakit/", "# supakit's local stack: data and secrets\n", result)
    _write_pyproject(root, layout, result)


def _create(root: Path, path: Path, text: str, result: InitResult) -> None:
    rel = path.relative_to(root).as_posix()
    if path.exists():
        result.unchanged.append(rel)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    result.created.append(rel)


def _ensure_line(root: Path, path: Path, line: str, comment: str, result: InitResult) -> None:
    current = path.read_text() if path.exists() else ""
    if line in current.splitlines() or line.rstrip("/") in current.splitlines():
        return
    separator = "\n" if current and not current.endswith("\n") else ""
    path.write_text(current + separator + comment + line + "\n")
    (result.appended if current else result.created).append(path.relative_to(root).as_posix())


def _write_pyproject(root: Path, layout: str, result: InitResult) -> None:
    path = root / "pyproject.toml"
    if not path.exists():
        name = "".join(c if c.isalnum() else "-" for c in root.name.lower()).strip("-") or "app"
        path.write_text(
            f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
            'dependencies = ["supakit[test]"]\n' + supakit_table(layout) + pytest_table(layout)
        )
        result.created.append("pyproject.toml")
        return
    import tomllib

    text = path.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}): fix it, then run `supakit init` again") from exc
    additions = ""
    if not has_table(root):
        additions += supakit_table(layout)
    if "ini_options" not in data.get("tool", {}).get("pytest", {}):
        additions += pytest_table(layout)
    if additions:
        path.write_text(text + ("" if text.endswith("\n") else "\n") + additions)
        result.appended.append("pyproject.toml")


def _write_template(root: Path, template: str, result: InitResult) -> None:
    from .. import __version__

    manifest_path = root / MANIFEST
    recorded = json.loads(manifest_path.read_text())["files"] if manifest_path.exists() else {}
    written: dict[str, str] = {}
    for rel, text in template_files(template).items():
        path = root / rel
        new_digest = digest(text)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            result.created.append(rel)
            written[rel] = new_digest
            continue
        current = path.read_text()
        if current == text:
            result.unchanged.append(rel)
            written[rel] = new_digest
        elif "/migrations/" in rel:
            # An applied migration is history: never rewritten, whoever changed it.
            result.kept.append(rel)
            written[rel] = recorded.get(rel, digest(current))
        elif recorded.get(rel) == digest(current):
            path.write_text(text)  # the user never touched it: take the template's fix
            result.updated.append(rel)
            written[rel] = new_digest
        else:
            result.kept.append(rel)
            result.diffs[rel] = "".join(
                difflib.unified_diff(
                    current.splitlines(keepends=True), text.splitlines(keepends=True),
                    f"{rel} (yours)", f"{rel} (supakit {__version__})",
                )
            )
            written[rel] = recorded.get(rel, digest(current))
    manifest_path.write_text(
        json.dumps({"template": template, "version": __version__, "files": written}, indent=2, sort_keys=True) + "\n"
    )
