"""The migrator: yoyo's versioned migrations plus repeatable functions and policies.

yoyo applies `sql/migrations`; supakit adds what yoyo lacks: bookkeeping kept out
of every exposed schema, a checksum per file (drift of applied files, repeatables
re-applied only when their text changed), a lock that a crashed run releases,
errors that name the file and the statement, and a PostgREST schema reload.
"""

from .errors import MigrationError
from .files import new_migration
from .runner import MigrateResult, RollbackResult, Status, migrate, rollback, status

__all__ = ["MigrateResult", "RollbackResult", "MigrationError", "Status", "migrate", "new_migration", "rollback", "status"]
