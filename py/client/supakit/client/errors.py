"""One small exception hierarchy for both transports.

PostgREST answers a failed request with `{code, message, details, hint}`, where
`code` is the Postgres SQLSTATE for database errors (`23505`, `42501`, or a custom
`PT404` raised by an RPC) or PostgREST's own `PGRSTnnn`. Over the pool the same
SQLSTATE, message, detail and hint come from psycopg's diagnostics. Either way the
code picks the class, so a caller writes one `except` for both transports:

| class | codes |
|---|---|
| NotFound | PT404, PGRST116 (no row), PGRST202/PGRST205 (no such function/table), 42P01, 42883 |
| NotSignedIn | PT401, 42501 whose message asks the caller to sign in ("sign in to ..."), 42501 for an `anon` caller |
| PermissionDenied | 42501, PT403, HTTP 401/403 without a PostgREST code |
| Conflict | 23505, 23503, 23P01, 40001, 40P01, PT409, HTTP 409 |
| ValidationError | class 22 (bad data), 23502, 23514, P0001 (raised by an RPC), 42703, PGRST1xx, PGRST204, PT400 |
| AuthError | PGRST3xx (JWT missing, invalid or expired), a gateway's "Invalid API key" |

Anything else is a plain `ClientError` carrying the same four fields.

`NotSignedIn` is the "who are you?" refusal: no user is signed in (the anon key alone,
or the service role's key where a user's token is needed). It is a `PermissionDenied`
and an `AuthError`, so existing `except` clauses keep catching it, and it is told apart
from a signed-in user's refusal (RLS, a role check: plain `PermissionDenied`, 403) by
catching it first. The pool's own failures (`PoolExhausted`, `ConnectionLost`) are
`PoolError`s: no request reached the database's rules. Every class here is a
`supakit.SupakitError`.
"""

from __future__ import annotations

from typing import Any

from ..errors import SupakitError


class ClientError(SupakitError):
    """An API call failed; `code`, `message`, `details` and `hint` as PostgREST reports them."""

    status = 500

    def __init__(self, message: str, *, code: str | None = None, details: Any = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.message} [{self.code}]" if self.code else self.message
        return f"{text} (hint: {self.hint})" if self.hint else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, details={self.details!r}, hint={self.hint!r})"


class NotFound(ClientError):
    """The row, organization or function does not exist, or the caller may not see it."""

    status = 404


class PermissionDenied(ClientError):
    """The caller may see it but may not do this (RLS, a column grant, a role check)."""

    status = 403


class Conflict(ClientError):
    """It already exists (a taken slug, a second membership) or a reference is missing."""

    status = 409


class ValidationError(ClientError):
    """Bad input: a malformed value, a broken check constraint, a refused argument."""

    status = 400


class AuthError(ClientError):
    """The token or key is missing, malformed, expired or unknown."""

    status = 401


class NotSignedIn(PermissionDenied, AuthError):
    """No user is signed in: the call needs a user's session token, not a key alone."""

    status = 401


class PoolError(SupakitError):
    """The pool could not carry the request; the database never answered it."""


class PoolExhausted(PoolError):
    """Every connection stayed busy for longer than the pool's `timeout`: nobody waits forever."""


class ConnectionLost(PoolError):
    """The server closed the connection during a request; the pool replaces it, the request may be retried."""


# What the schema's functions say when `auth.uid()` is null (`raise exception 'sign in to ...'`).
SIGN_IN_PREFIX = "sign in"

BY_STATUS: dict[int, type[ClientError]] = {
    400: ValidationError, 401: PermissionDenied, 403: PermissionDenied, 404: NotFound, 409: Conflict,
}
BY_CODE: dict[str, type[ClientError]] = {
    "PGRST116": NotFound, "PGRST202": NotFound, "PGRST205": NotFound, "42P01": NotFound, "42883": NotFound,
    "42501": PermissionDenied,
    "23505": Conflict, "23503": Conflict, "23P01": Conflict, "40001": Conflict, "40P01": Conflict,
    "23502": ValidationError, "23514": ValidationError, "P0001": ValidationError, "42703": ValidationError,
    "PGRST204": ValidationError,
}


def error_class(code: str | None, message: str = "") -> type[ClientError]:
    """The exception class for a PostgREST or Postgres error code."""
    if not code:
        return AuthError if "api key" in message.lower() else ClientError
    if code == "PT401" or (code == "42501" and message.lower().startswith(SIGN_IN_PREFIX)):
        return NotSignedIn
    if code in BY_CODE:
        return BY_CODE[code]
    if code.startswith("PT") and code[2:].isdigit():  # `raise ... using errcode = 'PT404'`: HTTP 404
        return BY_STATUS.get(int(code[2:]), ClientError)
    if code.startswith("PGRST3"):
        return AuthError
    if code.startswith("PGRST1"):
        return ValidationError
    if code.startswith("22"):
        return ValidationError
    if code.isdigit() and len(code) == 3:  # no PostgREST body: the HTTP status (a proxy's answer)
        return BY_STATUS.get(int(code), ClientError)
    return ClientError


def make_error(code: str | None, message: str | None, details: Any = None, hint: str | None = None, *,
               anonymous: bool = False) -> ClientError:
    """One of ours for a failed request; an `anonymous` caller's refusal is `NotSignedIn`.

    PostgREST answers a refusal (42501) with 401 when the request carried no user's
    token (the `anon` role) and with 403 when it did: the same split, by class.
    """
    message = message or "the request failed"
    cls = error_class(code, message)
    if anonymous and cls is PermissionDenied:
        cls = NotSignedIn
    return cls(message, code=code, details=details, hint=hint)


def from_postgrest(exc: Any, *, anonymous: bool = False) -> ClientError:
    """A postgrest-py `APIError` as one of ours."""
    return make_error(exc.code, exc.message, exc.details, exc.hint, anonymous=anonymous)


def from_postgres(exc: Any, *, anonymous: bool = False) -> ClientError:
    """A psycopg error raised by the server (it has a SQLSTATE) as one of ours."""
    diag = exc.diag
    return make_error(exc.sqlstate, diag.message_primary or str(exc), diag.message_detail, diag.message_hint,
                      anonymous=anonymous)
