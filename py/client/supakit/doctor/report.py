"""The doctor's findings for people, for programs (JSON) and for GitHub Actions, and whether they fail the run.

The rendering is `supakit.findings.output`, shared with the lint; this module
holds the doctor's words and its summary line.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..findings import Finding
from ..findings import output
from ..findings.output import FORMATS, counts, failing
from .checks import CHECKS

VOICE = output.Voice(tool="supakit-doctor", rule_key="check", fix_label="fix", fix_sentence="Fix")

__all__ = ["FORMATS", "VOICE", "as_json", "check_list", "counts", "failing", "github", "human", "render"]


def summary(findings: Sequence[Finding]) -> str:
    tally = ", ".join(f"{n} {level}" for level, n in counts(findings).items())
    return f"{output.plural(len(findings), 'finding')} ({tally}) from {len(CHECKS)} checks"


def human(findings: Sequence[Finding]) -> str:
    return output.human(findings, VOICE, summary(findings))


def as_json(findings: Sequence[Finding]) -> str:
    return output.as_json(findings, VOICE, counts=counts(findings), checks_run=len(CHECKS))


def github(findings: Sequence[Finding]) -> str:
    return output.github(findings, VOICE)


def render(fmt: str, findings: Sequence[Finding]) -> str:
    return {"human": human, "json": as_json, "github": github}[fmt](findings)


def check_list() -> str:
    return output.rule_list(
        CHECKS.values(), group_width=11, with_level=True,
        note=lambda c: "" if c.default else f" (off by default: --check {c.id})",  # type: ignore[attr-defined]
    )
