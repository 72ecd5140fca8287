"""`supakit backfill`: fill new columns in committed batches, then verify none are left.

The "backfill, then verify" steps between the migration that adds nullable columns
and the one that makes them required (docs/zero-downtime.md).
"""

from __future__ import annotations

import typer

from ..backfill import DEFAULT_LOCK_TIMEOUT, Progress, backfill as run_backfill, verify
from .common import DATABASE_URL_HELP, database_url, project


def register(app: typer.Typer) -> None:
    app.command()(backfill)


def _line(p: Progress) -> str:
    rate = p.rows_scanned / p.elapsed if p.elapsed > 0 else 0.0
    return (
        f"batch {p.batches}: {p.rows_updated} rows updated this run ({p.rows_done} in all), "
        f"{p.rows_scanned} scanned, last key {p.last_key}, {p.elapsed:.1f}s ({rate:.0f} rows/s)"
    )


def backfill(
    table: str = typer.Argument(..., help="table to fill: name or schema.name"),
    set_sql: str = typer.Option(
        ..., "--set", help="SQL assignments, e.g. \"first_name = split_part(name, ' ', 1)\" (trusted SQL)"
    ),
    where_sql: str = typer.Option(..., "--where", help="rows still needing work, e.g. 'first_name is null' (trusted SQL)"),
    key: str = typer.Option("id", "--key", help="unique column to walk the table by"),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="keys per batch (one transaction each)"),
    job: str = typer.Option(None, "--job", help="name the saved progress is kept under (default: table + hash of --set)"),
    restart: bool = typer.Option(False, "--restart", help="ignore saved progress and walk from the start"),
    max_batches: int = typer.Option(None, "--max-batches", min=1, help="stop after this many batches (resume later)"),
    lock_timeout: float = typer.Option(DEFAULT_LOCK_TIMEOUT, "--lock-timeout", help="seconds a batch may wait for a lock"),
    pause: float = typer.Option(0.0, "--pause", min=0.0, help="seconds to sleep between batches"),
    database_url_option: str = typer.Option(None, "--database-url", help=DATABASE_URL_HELP),
) -> None:
    """Run SET on rows matching WHERE in committed, resumable batches; exit 1 if rows are left."""
    url = database_url(database_url_option, project())
    result = run_backfill(
        url, table, set_sql, where_sql,
        key=key, batch_size=batch_size, progress=lambda p: typer.echo(_line(p)),
        max_batches=max_batches, job=job, restart=restart, lock_timeout=lock_timeout, pause=pause,
    )
    start = f"after key {result.resumed_from}" if result.resumed_from is not None else "from the start"
    typer.echo(
        f"{'finished' if result.finished else 'stopped'}: {result.rows_updated} rows updated in "
        f"{result.batches} batches {start} in {result.elapsed:.1f}s (job {result.job}, {result.rows_done} rows in all)"
    )
    left = verify(url, table, where_sql)
    if left:
        hint = "re-run to resume" if not result.finished else "re-run to catch rows written meanwhile"
        typer.echo(f"supakit: {left} rows still need backfill ({hint})", err=True)
        raise typer.Exit(1)
    typer.echo(f"verified: no rows of {result.table} match --where")
