"""Findings for people, for programs (JSON) and for GitHub Actions annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .catalog import RULES, Rule
from .engine import Finding

FORMATS = ("human", "json", "github")


def human(findings: Sequence[Finding], files: int) -> str:
    lines, explained = [], set()
    for f in findings:
        lines.append(f"{f.path}:{f.line}: {f.rule}: {f.message}")
        if f.rule not in explained:  # why and the safe way once per rule, not per finding
            explained.add(f.rule)
            lines.append(f"    why:  {f.info.why}")
            lines.append(f"    safe: {f.info.safe}")
    noun = "file" if files == 1 else "files"
    if findings:
        lines.append(f"{len(findings)} finding{'s' if len(findings) != 1 else ''} in {files} {noun}")
    else:
        lines.append(f"no findings in {files} {noun}")
    return "\n".join(lines)


def as_json(findings: Sequence[Finding], files: int) -> str:
    return json.dumps({"files_checked": files, "findings": [f.as_dict() for f in findings]}, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(findings: Sequence[Finding], files: int) -> str:
    """Workflow commands: GitHub shows each as an annotation on the file and line."""
    lines = [
        f"::error file={_escape_property(f.path)},line={f.line},title={_escape_property('supakit-lint ' + f.rule)}::"
        + _escape_data(f"{f.message}. {f.info.why} Safe way: {f.info.safe}")
        for f in findings
    ]
    return "\n".join(lines)


def render(fmt: str, findings: Sequence[Finding], files: int) -> str:
    return {"human": human, "json": as_json, "github": github}[fmt](findings, files)


def rule_list(rules: Sequence[Rule] = RULES) -> str:
    return "\n".join(f"{r.id:38} {r.group:9} {r.summary}" for r in rules)
