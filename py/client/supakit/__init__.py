"""supakit: a Supabase-native PostgREST companion with SQL-first migrations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("supakit")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0.0.0+unknown"

from .errors import BackendUnavailable, BinaryNotFound, ConfigError, SupakitError

# The client is imported on first use, so `supakit` commands do not pay for it.
_CLIENT = ("Client", "AsyncClient", "Pool", "AsyncPool", "ClientError", "NotFound", "PermissionDenied",
           "NotSignedIn", "Conflict", "ValidationError", "AuthError", "PoolError", "PoolExhausted", "ConnectionLost")
_LAZY = {name: "supakit.client" for name in _CLIENT}

__all__ = ["BackendUnavailable", "BinaryNotFound", "ConfigError", "SupakitError", "__version__", *sorted(_CLIENT)]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'supakit' has no attribute {name!r}")
