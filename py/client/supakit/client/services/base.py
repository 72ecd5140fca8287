"""What every service shares: its transport, and `operation`, which runs a plan on it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import NotSignedIn, ValidationError


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""A keyword not given (as opposed to None, which sets the column to null)."""


class Service:
    def __init__(self, transport: Any):
        self._transport = transport

    @property
    def user_id(self) -> str:
        """The signed-in caller's id; operations on "my" rows need one."""
        user_id = self._transport.user_id
        if user_id is None:
            raise NotSignedIn("this needs a signed-in user's token (the key alone is no user)", code="PGRST301")
        return user_id


class operation:
    """Decorates a plan (a function returning an `Op` or a generator of them) as a method.

    Called on a service, the method hands the plan to the service's transport, which
    builds and runs it: the result for a sync transport, a coroutine for an async one. The
    bound method is cached on the instance, so later calls cost a dict lookup.
    """

    def __init__(self, plan: Callable[..., Any]):
        self.plan = plan
        self.name = plan.__name__
        functools.update_wrapper(self, plan)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, service: Service | None, owner: type | None = None) -> Any:
        if service is None:
            return self
        plan, run = self.plan, service._transport.run

        @functools.wraps(plan)
        def call(*args: Any, **kwargs: Any) -> Any:
            return run(lambda: plan(service, *args, **kwargs))

        service.__dict__[self.name] = call
        return call


def given(**values: Any) -> dict[str, Any]:
    """The keywords that were given (UNSET dropped)."""
    return {key: value for key, value in values.items() if value is not UNSET}


def required(values: dict[str, Any], what: str) -> dict[str, Any]:
    if not values:
        raise ValidationError(f"nothing to change in {what}: give at least one field", code="22023")
    return values


def role_list(roles: str | Iterable[str]) -> list[str]:
    return [roles] if isinstance(roles, str) else [str(r) for r in roles]
