"""The doctor's findings for people and for programs, and whether they fail the run."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from .checks import CHECKS, Finding, Level


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    tally = Counter(str(f.level) for f in findings)
    return {str(level): tally.get(str(level), 0) for level in sorted(Level, reverse=True)}


def failing(findings: Sequence[Finding], fail_level: Level) -> bool:
    return any(f.level >= fail_level for f in findings)


def human(findings: Sequence[Finding]) -> str:
    lines, explained = [], set()
    for f in findings:
        lines.append(f"{str(f.level).upper():5}  {f.check}  {f.object}: {f.message}")
        if f.check not in explained:  # why and the fix once per check, not per finding
            explained.add(f.check)
            lines.append(f"       why: {f.why}")
            lines.append(f"       fix: {f.fix}")
    c = counts(findings)
    summary = ", ".join(f"{n} {level}" for level, n in c.items())
    lines.append(f"{len(findings)} finding{'s' if len(findings) != 1 else ''} ({summary}) from {len(CHECKS)} checks")
    return "\n".join(lines)


def as_json(findings: Sequence[Finding]) -> str:
    return json.dumps(
        {"counts": counts(findings), "checks_run": len(CHECKS), "findings": [f.as_dict() for f in findings]},
        indent=2,
    )


def check_list() -> str:
    return "\n".join(
        f"{c.id:38} {str(c.level):5} {c.group:11} {c.summary}{'' if c.default else ' (off by default: --check ' + c.id + ')'}"
        for c in CHECKS.values()
    )
