"""The rule checks, one module per concern; each registers itself under its catalog id
(`registry.check`)."""

from __future__ import annotations

from ..catalog import RULES_BY_ID
from ..context import FileContext
from . import breaking, files, locking, supabase  # noqa: F401  (registers the checks)
from .registry import CHECKS, Check, Hit, check

__all__ = ["CHECKS", "Check", "Hit", "check", "run"]


def run(ctx: FileContext) -> list[Hit]:
    """Every rule that applies to this kind of file."""
    hits: list[Hit] = []
    for rule_id, func in CHECKS.items():
        if ctx.file.kind in RULES_BY_ID[rule_id].kinds:
            hits.extend(func(ctx))
    return sorted(hits, key=lambda h: (h.line, h.rule))
