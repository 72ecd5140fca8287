"""Explicit, explained suppressions: `-- supakit-lint: ignore <rule>[, <rule>] -- <reason>`.

A suppression covers the statement directly below it (only comment lines between);
for a file-level rule (missing-rollback) it goes in the file's leading comments. One
without a reason or naming an unknown rule is itself a finding and silences nothing;
one that silences nothing is a finding too, so stale suppressions do not pile up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .catalog import RULES_BY_ID
from .rules import Hit
from .source import SqlFile

# Reading our own comment syntax, not SQL: the comments come from Postgres' scanner.
_MARKER = re.compile(r"^--\s*supakit-lint\s*:(?P<body>.*)$", re.IGNORECASE)
_BODY = re.compile(
    r"^\s*ignore\s+(?P<rules>[\w-]+(?:\s*,\s*[\w-]+)*)\s*(?:--(?P<reason>.*))?$", re.IGNORECASE
)


@dataclass
class Suppression:
    line: int
    rules: tuple[str, ...]
    reason: str
    target: int | None          # line of the statement it covers
    in_header: bool
    used: set[str] = field(default_factory=set)


def parse(file: SqlFile) -> tuple[list[Suppression], list[Hit]]:
    """The file's valid suppressions, and findings for the invalid ones."""
    valid: list[Suppression] = []
    problems: list[Hit] = []
    comment_lines = file.comment_lines()
    for comment in file.comments:
        marker = _MARKER.match(comment.text.strip())
        if not marker:
            continue
        body = _BODY.match(marker.group("body"))
        if not body:
            problems.append(Hit("invalid-suppression", comment.line, "write it as: -- supakit-lint: ignore <rule-id> -- <reason>"))
            continue
        rules = tuple(r.strip().lower() for r in body.group("rules").split(","))
        reason = (body.group("reason") or "").strip()
        unknown = [r for r in rules if r not in RULES_BY_ID]
        fixed = [r for r in rules if r in RULES_BY_ID and not RULES_BY_ID[r].suppressible]
        if unknown:
            message = f"unknown rule {', '.join(unknown)} (see supakit lint --list-rules)"
            problems.append(Hit("invalid-suppression", comment.line, message))
        elif fixed:
            problems.append(Hit("invalid-suppression", comment.line, f"{', '.join(fixed)} cannot be suppressed"))
        elif not reason:
            message = f"suppression of {', '.join(rules)} gives no reason (add: -- <why it is safe here>)"
            problems.append(Hit("invalid-suppression", comment.line, message))
        else:
            valid.append(Suppression(
                comment.line, rules, reason, _target(file, comment.line, comment.offset, comment_lines),
                in_header=comment.line <= file.header_end_line,
            ))
    return valid, problems


def _target(file: SqlFile, line: int, offset: int, comment_lines: set[int]) -> int | None:
    """The statement directly below the comment, if only comment lines separate them."""
    for statement in file.statements:
        if statement.start <= offset < statement.end:
            return None  # a comment inside a statement
        if statement.start > offset:
            between = range(line + 1, statement.line)
            return statement.line if all(n in comment_lines for n in between) else None
    return None


def apply(file: SqlFile, hits: list[Hit]) -> list[Hit]:
    """Hits left after suppressions, plus findings about the suppressions themselves."""
    suppressions, problems = parse(file)
    kept: list[Hit] = []
    for hit in hits:
        rule = RULES_BY_ID[hit.rule]
        match = None
        if rule.suppressible:
            for s in suppressions:
                if hit.rule in s.rules and (s.target == hit.line or (rule.file_level and s.in_header)):
                    match = s
                    break
        if match is None:
            kept.append(hit)
        else:
            match.used.add(hit.rule)
    for s in suppressions:
        for rule_id in s.rules:
            if rule_id not in s.used:
                where = "the statement directly below it" if s.target else "no statement directly below it"
                kept.append(Hit("unused-suppression", s.line, f"ignore {rule_id} matches no finding ({where})"))
    return sorted(kept + problems, key=lambda h: (h.line, h.rule))
