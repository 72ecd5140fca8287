"""The rule checks, one module per concern; each registers itself under its catalog id."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from ..catalog import RULES_BY_ID
from ..context import FileContext


class Hit(NamedTuple):
    rule: str
    line: int
    message: str


Check = Callable[[FileContext], Iterable[Hit]]
CHECKS: dict[str, Check] = {}


def check(rule_id: str) -> Callable[[Check], Check]:
    if rule_id not in RULES_BY_ID:
        raise KeyError(f"rule {rule_id!r} is not in the catalog")

    def register(func: Check) -> Check:
        CHECKS[rule_id] = func
        return func

    return register


def run(ctx: FileContext) -> list[Hit]:
    """Every rule that applies to this kind of file."""
    hits: list[Hit] = []
    for rule_id, func in CHECKS.items():
        if ctx.file.kind in RULES_BY_ID[rule_id].kinds:
            hits.extend(func(ctx))
    return sorted(hits, key=lambda h: (h.line, h.rule))


from . import breaking, files, locking, supabase  # noqa: E402,F401  (registers the checks)
