"""The lint's findings for people, for programs (JSON) and for GitHub Actions annotations.

The rendering is `supakit.findings.output`, shared with the doctor; this module
holds the lint's words and its summary line.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..findings import Finding
from ..findings import output
from ..findings.output import FORMATS
from .catalog import RULES, LintRule

VOICE = output.Voice(tool="supakit-lint", rule_key="rule", fix_label="safe", fix_sentence="Safe way")

__all__ = ["FORMATS", "VOICE", "as_json", "github", "human", "render", "rule_list"]


def summary(findings: Sequence[Finding], files: int) -> str:
    checked = output.plural(files, "file")
    return f"{output.plural(len(findings), 'finding')} in {checked}" if findings else f"no findings in {checked}"


def human(findings: Sequence[Finding], files: int) -> str:
    return output.human(findings, VOICE, summary(findings, files))


def as_json(findings: Sequence[Finding], files: int) -> str:
    return output.as_json(findings, VOICE, files_checked=files)


def github(findings: Sequence[Finding], files: int) -> str:
    return output.github(findings, VOICE)


def render(fmt: str, findings: Sequence[Finding], files: int) -> str:
    return {"human": human, "json": as_json, "github": github}[fmt](findings, files)


def rule_list(rules: Sequence[LintRule] = RULES) -> str:
    return output.rule_list(rules, group_width=9)
