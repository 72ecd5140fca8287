"""What `supakit lint` and `supakit doctor` share: one rule model and one finding.

A `Rule` says what it checks, how serious it is, why that matters, how to fix it,
and shows it with a `bad` and a `good` SQL example (the rule's contract: tests run
both, and the docs page shows them). The lint checks SQL files (`supakit.lint`,
a `LintRule` per rule), the doctor checks a live database (`supakit.doctor`, a
`Check` per rule); both report `Finding`s, rendered by `supakit.findings.output`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Generic, TypeVar


class Level(IntEnum):
    INFO = 1
    WARN = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown level {text!r}: use error, warn or info") from None


@dataclass(frozen=True)
class Rule:
    """One thing a tool checks; `docs_page` is where its section (headed by the id) lives."""

    id: str
    group: str
    summary: str  # what it checks, in a few words
    why: str
    fix: str
    bad: str = ""
    good: str = ""
    level: Level = Level.ERROR
    docs_page: str = field(default="", repr=False)

    @property
    def docs(self) -> str:
        """The link to the rule's section of its docs page (GitHub's anchor for "### `id`")."""
        return f"{self.docs_page}#{self.id}" if self.docs_page else ""


@dataclass(frozen=True)
class Finding:
    """One thing a rule found: at a file's line (lint) or on a database object (doctor)."""

    rule: str  # the rule's id
    message: str
    level: Level = Level.ERROR
    path: str = ""
    line: int = 0
    object: str = ""
    why: str = field(repr=False, default="")
    fix: str = field(repr=False, default="")

    @classmethod
    def of(cls, rule: Rule, message: str, **where: Any) -> Finding:
        """A finding of `rule`, carrying its why and fix; `where` is path and line, or object."""
        return cls(rule.id, message, where.pop("level", None) or rule.level, why=rule.why, fix=rule.fix, **where)

    @property
    def check(self) -> str:
        """The doctor's word for the rule id."""
        return self.rule

    @property
    def in_file(self) -> bool:
        return bool(self.path)


R = TypeVar("R", bound=Rule)


class Registry(Generic[R]):
    """Rules by id, in the order they were added (the order lists and reports use)."""

    def __init__(self, rules: Iterable[R] = ()) -> None:
        self._rules: dict[str, R] = {}
        for rule in rules:
            self.add(rule)

    def add(self, rule: R) -> R:
        if rule.id in self._rules:
            raise KeyError(f"rule {rule.id!r} is defined twice")
        self._rules[rule.id] = rule
        return rule

    def __getitem__(self, rule_id: str) -> R:
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def keys(self) -> Iterable[str]:
        return self._rules.keys()

    def values(self) -> Iterable[R]:
        return self._rules.values()

    def items(self) -> Iterable[tuple[str, R]]:
        return self._rules.items()

    def get(self, rule_id: str, default: R | None = None) -> R | None:
        return self._rules.get(rule_id, default)

__all__ = ["Finding", "Level", "Registry", "Rule"]
