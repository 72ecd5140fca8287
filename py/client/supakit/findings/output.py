"""Findings for people (text), for programs (JSON) and for GitHub Actions (annotations).

One renderer serves both commands; a `Voice` holds the words each one has always
used (the lint says "rule" and "safe", the doctor "check" and "fix"), so their
output stays what scripts and docs already read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import Finding, Level, Rule

FORMATS = ("human", "json", "github")


@dataclass(frozen=True)
class Voice:
    tool: str           # the annotation title's prefix: "supakit-lint"
    rule_key: str       # the JSON key of the rule id: "rule" or "check"
    fix_label: str      # the text label of the fix: "safe" or "fix"
    fix_sentence: str   # how an annotation introduces the fix: "Safe way" or "Fix"


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Findings per level, most severe first, every level named."""
    tally = Counter(str(f.level) for f in findings)
    return {str(level): tally.get(str(level), 0) for level in sorted(Level, reverse=True)}


def failing(findings: Sequence[Finding], fail_level: Level) -> bool:
    return any(f.level >= fail_level for f in findings)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _headline(f: Finding) -> str:
    if f.in_file:
        return f"{f.path}:{f.line}: {f.rule}: {f.message}"
    return f"{str(f.level).upper():5}  {f.rule}  {f.object}: {f.message}"


def human(findings: Sequence[Finding], voice: Voice, summary: str) -> str:
    """A line per finding; why and the fix once per rule, not per finding; then `summary`."""
    lines, explained = [], set()
    width = max(len("why:"), len(voice.fix_label) + 1)
    for f in findings:
        lines.append(_headline(f))
        if f.rule not in explained:
            explained.add(f.rule)
            indent = " " * (4 if f.in_file else 7)  # under the message; a database finding's level column is 7 wide
            lines.append(f"{indent}{'why:':{width}} {f.why}")
            lines.append(f"{indent}{voice.fix_label + ':':{width}} {f.fix}")
    lines.append(summary)
    return "\n".join(lines)


def as_dict(f: Finding, voice: Voice) -> dict[str, Any]:
    if f.in_file:
        return {"file": f.path, "line": f.line, voice.rule_key: f.rule, "message": f.message,
                "why": f.why, voice.fix_label: f.fix}
    return {voice.rule_key: f.rule, "level": str(f.level), "object": f.object, "message": f.message,
            "why": f.why, voice.fix_label: f.fix}


def as_json(findings: Sequence[Finding], voice: Voice, **header: Any) -> str:
    """`header` (files checked, counts, ...) first, then the findings."""
    return json.dumps({**header, "findings": [as_dict(f, voice) for f in findings]}, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_COMMANDS = {Level.ERROR: "error", Level.WARN: "warning", Level.INFO: "notice"}


def github(findings: Sequence[Finding], voice: Voice) -> str:
    """Workflow commands: GitHub shows each as an annotation (on the file and line, where there is one)."""
    lines = []
    for f in findings:
        where = f"file={_escape_property(f.path)},line={f.line}," if f.in_file else ""
        subject = f.message if f.in_file else f"{f.object}: {f.message}"
        lines.append(
            f"::{_COMMANDS[f.level]} {where}title={_escape_property(voice.tool + ' ' + f.rule)}::"
            + _escape_data(f"{subject}. {f.why} {voice.fix_sentence}: {f.fix}")
        )
    return "\n".join(lines)


def rule_list(rules: Iterable[Rule], group_width: int, with_level: bool = False,
              note: Callable[[Rule], str] = lambda rule: "") -> str:
    """A line per rule: id, (level,) group, what it checks, and a note."""
    level = (lambda r: f"{str(r.level):5} ") if with_level else (lambda r: "")
    return "\n".join(f"{r.id:38} {level(r)}{r.group:{group_width}} {r.summary}{note(r)}" for r in rules)
