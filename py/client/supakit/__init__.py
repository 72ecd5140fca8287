"""supakit: a Supabase-native PostgREST companion with SQL-first migrations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("supakit")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0.0.0+unknown"

# The client is imported on first use, so `supakit` commands do not pay for it.
_LAZY = {"Client": "supakit.client", "AsyncClient": "supakit.client", "Pool": "supakit.pool",
         "AsyncPool": "supakit.async_pool"}

__all__ = ["AsyncClient", "AsyncPool", "Client", "Pool", "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'supakit' has no attribute {name!r}")
