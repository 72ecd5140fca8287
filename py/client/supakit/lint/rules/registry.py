"""Where rule checks register under their catalog id: the rule modules import this,
and the package's `run` reads it (so no rule module imports the package back)."""

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
