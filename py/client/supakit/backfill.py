"""Batched, resumable backfills: the "backfill" step of a zero-downtime migration.

One `UPDATE` over a big table locks every row it touches until it commits, holds
back vacuum, and redoes everything if it fails near the end. `backfill` walks the
table in key order instead (keyset: `key > last_key order by key limit n`), one
short transaction per batch, and records in `supakit_migrations.backfill_progress`
how far it got, in the same transaction as the batch, so the record never runs
ahead of or behind the data and an interrupted run resumes where it stopped.

`set_sql` and `where_sql` are SQL fragments inserted verbatim: they are written by
the developer doing the migration (trusted input), never built from user input.
The table and key names are quoted as identifiers.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

from .errors import ConfigError, SupakitError

SCHEMA = "supakit_migrations"
PROGRESS_TABLE = sql.Identifier(SCHEMA, "backfill_progress")
DEFAULT_LOCK_TIMEOUT = 2.0


class BackfillError(SupakitError):
    """A batch failed (lock wait, an expression erring on some row); committed batches stay."""


@dataclass
class Progress:
    """Where a backfill job stands; passed to the callback after every committed batch."""

    job: str
    table: str
    batches: int = 0  # batches committed by this run
    rows_scanned: int = 0  # rows this run walked past
    rows_updated: int = 0  # rows this run changed
    rows_done: int = 0  # rows this job changed over all its runs (as saved)
    last_key: str | None = None  # last key committed (where this run resumed, before its first batch)
    resumed_from: str | None = None  # the saved key this run started after, if any
    elapsed: float = 0.0  # seconds since this run started
    finished: bool = False  # walked to the end of the table


@dataclass(frozen=True)
class Target:
    """A table and its key column, checked to exist, with names quoted for SQL."""

    name: str  # schema.table, for messages and the default job name
    table: sql.Composable
    key: sql.Identifier
    key_type: sql.Composable  # the key's type as Postgres spells it, to cast a saved key back


# --- connection and validation -----------------------------------------------------------


@contextmanager
def _connection(url_or_conn: str | psycopg.Connection) -> Iterator[psycopg.Connection]:
    """Our own autocommit connection for a URL; a given one must have no open transaction."""
    if isinstance(url_or_conn, psycopg.Connection):
        if url_or_conn.info.transaction_status != TransactionStatus.IDLE:
            raise ConfigError("backfill needs a connection with no open transaction: it commits every batch")
        yield url_or_conn
        return
    with psycopg.connect(url_or_conn, autocommit=True, application_name="supakit backfill") as conn:
        yield conn


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _one(conn: psycopg.Connection, query: sql.Composable | str, params: tuple | None = None):
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def _find_table(conn: psycopg.Connection, table: str) -> tuple[int, str, sql.Identifier]:
    """(oid, schema.table, quoted name) of `table` (`name` or `schema.name`, exact spelling)."""
    parts = table.split(".")
    if not table or len(parts) > 2 or not all(parts):
        raise ConfigError(f"table {table!r}: expected name or schema.name")
    with conn.transaction():
        found = conn.execute(
            "select c.oid, n.nspname, c.relname, c.relkind from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass(%s)",
            (sql.Identifier(*parts).as_string(conn),),
        ).fetchone()
    if found is None:
        raise ConfigError(f"table {table} does not exist")
    oid, nspname, relname, relkind = found
    if relkind not in ("r", "p"):
        raise ConfigError(f"{nspname}.{relname} is not a table")
    return oid, f"{nspname}.{relname}", sql.Identifier(nspname, relname)


def resolve(conn: psycopg.Connection, table: str, key: str) -> Target:
    """Check that `table` and its `key` column exist, up front, with a one-line error.

    The key must have a unique index of its own (a primary key does): keyset batches
    over a key with duplicates would skip some of them at batch boundaries.
    """
    oid, name, quoted = _find_table(conn, table)
    with conn.transaction():
        column = conn.execute(
            "select format_type(a.atttypid, a.atttypmod), exists ("
            "  select 1 from pg_index i where i.indrelid = a.attrelid and i.indisunique and i.indisvalid"
            "  and i.indnkeyatts = 1 and i.indkey[0] = a.attnum and i.indpred is null)"
            " from pg_attribute a where a.attrelid = %s and a.attname = %s and a.attnum > 0 and not a.attisdropped",
            (oid, key),
        ).fetchone()
    if column is None:
        raise ConfigError(f"key column {key} does not exist in {name}")
    key_type, unique = column
    if not unique:
        raise ConfigError(
            f"key column {key} of {name} has no unique index of its own: "
            "keyset batches need a unique key (e.g. the primary key)"
        )
    # format_type's output is Postgres' own spelling of a type name, safe to inline.
    return Target(name, quoted, sql.Identifier(key), sql.SQL(key_type))


def _set_lock_timeout(conn: psycopg.Connection, seconds: float) -> None:
    """Transaction-local: a batch gives up instead of queueing behind a long lock (and blocking others)."""
    conn.execute("select set_config('lock_timeout', %s, true)", (f"{max(1, int(seconds * 1000))}ms",))


def _check_fragments(conn: psycopg.Connection, target: Target, set_sql: str, where_sql: str, lock_timeout: float) -> None:
    """Plan (not run) the update once, so a typo is one clear line before any batch runs."""
    query = sql.SQL("explain update {} set {} where ({})").format(target.table, sql.SQL(set_sql), sql.SQL(where_sql))
    try:
        with conn.transaction(force_rollback=True):
            _set_lock_timeout(conn, lock_timeout)
            conn.execute(query)
    except psycopg.errors.LockNotAvailable as exc:
        raise BackfillError(f"{target.name} is locked by another transaction: {_first_line(exc)}") from exc
    except psycopg.Error as exc:
        raise ConfigError(f"backfill of {target.name}: set/where do not compile: {_first_line(exc)}") from exc


# --- saved progress ----------------------------------------------------------------------------


def default_job(table: str, set_sql: str) -> str:
    """`schema.table:<hash of the set expression>`: the same backfill gets the same job."""
    digest = hashlib.sha256(" ".join(set_sql.split()).encode()).hexdigest()[:12]
    return f"{table}:{digest}"


def ensure_progress_table(conn: psycopg.Connection) -> None:
    """Create the bookkeeping table on first use (in the schema `supakit migrate` creates)."""
    with conn.transaction():
        if _one(conn, "select to_regclass(%s)", (PROGRESS_TABLE.as_string(conn),)) is not None:
            return
        if _one(conn, "select to_regnamespace(%s)", (SCHEMA,)) is None:
            raise ConfigError(f"schema {SCHEMA} does not exist: run `supakit migrate` on this database first")
        conn.execute(
            sql.SQL(
                "create table if not exists {} ("
                " job text primary key, last_key text, rows_done bigint not null default 0,"
                " updated_at timestamptz not null default now())"
            ).format(PROGRESS_TABLE)
        )


def saved_progress(conn: psycopg.Connection, job: str) -> tuple[str | None, int] | None:
    """(last_key, rows_done) saved for `job`, or None if it never ran."""
    with conn.transaction():
        row = conn.execute(
            sql.SQL("select last_key, rows_done from {} where job = %s").format(PROGRESS_TABLE), (job,)
        ).fetchone()
    return None if row is None else (row[0], int(row[1]))


def _save(conn: psycopg.Connection, job: str, last_key: str | None, rows_done: int) -> None:
    conn.execute(
        sql.SQL(
            "insert into {} (job, last_key, rows_done, updated_at) values (%s, %s, %s, now())"
            " on conflict (job) do update set last_key = excluded.last_key,"
            " rows_done = excluded.rows_done, updated_at = excluded.updated_at"
        ).format(PROGRESS_TABLE),
        (job, last_key, rows_done),
    )


@contextmanager
def _job_lock(conn: psycopg.Connection, job: str) -> Iterator[None]:
    """Session advisory lock: two runs of one job would race on its saved key."""
    lock_name = f"supakit.backfill:{job}"
    with conn.transaction():
        taken = _one(conn, "select pg_try_advisory_lock(hashtext(%s))", (lock_name,))
    if not taken:
        raise BackfillError(f"backfill job {job} is already running in another session")
    try:
        yield
    finally:
        if not conn.closed:
            with conn.transaction():
                conn.execute("select pg_advisory_unlock(hashtext(%s))", (lock_name,))


# --- the walk ---------------------------------------------------------------------------------


def _batch_query(target: Target, set_sql: str, where_sql: str, after: str | None, batch_size: int) -> sql.Composed:
    """One statement: pick the next `batch_size` keys, update those still matching `where_sql`.

    Values are inlined as literals, so no `%` in the developer's fragments is read as
    a placeholder. Returns (rows scanned, last key as text, rows updated).
    """
    after_clause = (
        sql.SQL("where {} > cast({} as {})").format(target.key, sql.Literal(after), target.key_type)
        if after is not None
        else sql.SQL("")
    )
    return sql.SQL(
        "with batch as (select {key} as supakit_key from {table} {after} order by {key} limit {n}),"
        " changed as (update {table} set {set_sql}"
        " where {key} in (select supakit_key from batch) and ({where_sql}) returning 1)"
        " select (select count(*) from batch),"
        " (select batch.supakit_key::text from batch order by batch.supakit_key desc limit 1),"
        " (select count(*) from changed)"
    ).format(
        key=target.key,
        table=target.table,
        after=after_clause,
        n=sql.Literal(batch_size),
        set_sql=sql.SQL(set_sql),
        where_sql=sql.SQL(where_sql),
    )


def _run_batch(
    conn: psycopg.Connection, target: Target, set_sql: str, where_sql: str,
    state: Progress, batch_size: int, lock_timeout: float,
) -> tuple[int, str | None, int]:
    """One batch and its saved progress in one transaction: (rows scanned, last key, rows updated)."""
    query = _batch_query(target, set_sql, where_sql, state.last_key, batch_size)
    try:
        with conn.transaction():
            _set_lock_timeout(conn, lock_timeout)
            scanned, last, updated = conn.execute(query).fetchone()
            # A finished walk keeps no resume point: the next run re-scans from the start.
            _save(conn, state.job, last if scanned == batch_size else None, state.rows_done + updated)
    except psycopg.errors.LockNotAvailable as exc:
        raise BackfillError(
            f"backfill of {target.name} gave up after lock_timeout {lock_timeout:g}s waiting for a lock "
            f"held by another transaction; {_saved_note(state)}"
        ) from exc
    except psycopg.Error as exc:
        raise BackfillError(
            f"backfill of {target.name} failed in the batch after key {state.last_key}: "
            f"{_first_line(exc)}; {_saved_note(state)}"
        ) from exc
    return int(scanned), last, int(updated)


def backfill(
    url_or_conn: str | psycopg.Connection,
    table: str,
    set_sql: str,
    where_sql: str,
    *,
    key: str = "id",
    batch_size: int = 1000,
    progress: Callable[[Progress], None] | None = None,
    max_batches: int | None = None,
    job: str | None = None,
    restart: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    pause: float = 0.0,
) -> Progress:
    """Run `update table set <set_sql> where <where_sql>` in committed batches of `batch_size` keys.

    `where_sql` must select exactly the rows still needing work (e.g. `first_name is
    null`): it is what makes a re-run skip done rows. The job (default: table + hash
    of `set_sql`) resumes after its saved key unless `restart`; a finished walk saves
    no key, so the next run re-scans and catches rows written meanwhile. Each batch
    waits at most `lock_timeout` seconds for locks, then raises `BackfillError`,
    keeping every batch committed before it. `pause` sleeps between batches to let
    replicas and vacuum keep up. `progress` is called after every commit.
    """
    if batch_size < 1:
        raise ConfigError(f"batch size must be at least 1, got {batch_size}")
    if lock_timeout <= 0:
        raise ConfigError(f"lock timeout must be positive seconds, got {lock_timeout}")
    started = time.monotonic()
    with _connection(url_or_conn) as conn:
        target = resolve(conn, table, key)
        _check_fragments(conn, target, set_sql, where_sql, lock_timeout)
        ensure_progress_table(conn)
        job = job or default_job(target.name, set_sql)
        with _job_lock(conn, job):
            saved = None if restart else saved_progress(conn, job)
            after, rows_done = saved if saved is not None else (None, 0)
            state = Progress(job=job, table=target.name, rows_done=rows_done, last_key=after, resumed_from=after)
            while not state.finished and (max_batches is None or state.batches < max_batches):
                scanned, last, updated = _run_batch(conn, target, set_sql, where_sql, state, batch_size, lock_timeout)
                state.finished = scanned < batch_size
                state.elapsed = time.monotonic() - started
                if scanned:
                    state.batches += 1
                    state.rows_scanned += scanned
                    state.rows_updated += updated
                    state.rows_done += updated
                    state.last_key = last
                    if progress is not None:
                        progress(replace(state))
                if pause and not state.finished:
                    time.sleep(pause)
    state.elapsed = time.monotonic() - started
    return state


def _saved_note(state: Progress) -> str:
    where = f"after key {state.last_key}" if state.last_key is not None else "from the start"
    return f"progress saved: {state.rows_done} rows done, re-run to resume {where} (job {state.job})"


def verify(url_or_conn: str | psycopg.Connection, table: str, where_sql: str) -> int:
    """Rows still matching `where_sql` (still needing backfill): 0 before the contract phase."""
    with _connection(url_or_conn) as conn:
        _, name, quoted = _find_table(conn, table)
        query = sql.SQL("select count(*) from {} where ({})").format(quoted, sql.SQL(where_sql))
        try:
            with conn.transaction():
                return int(_one(conn, query))
        except psycopg.Error as exc:
            raise ConfigError(f"verify of {name}: where does not run: {_first_line(exc)}") from exc
