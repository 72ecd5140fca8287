"""Errors supakit raises itself, each naming the problem in one line."""


class SupakitError(Exception):
    """Base class: a problem supakit can explain without a traceback."""


class ConfigError(SupakitError):
    """A setting or environment variable has a value supakit cannot use."""


class BackendUnavailable(SupakitError):
    """No Postgres backend can be started or reached."""


class BinaryNotFound(SupakitError):
    """An executable supakit needs (postgres, postgrest, nginx) is missing."""


def first_line(exc: BaseException) -> str:
    """An error's primary message, without the driver's context lines."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
