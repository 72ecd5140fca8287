"""Database URLs: built in one place, in each dialect; in messages never with their password.

A server's address (host, port, user, password, database) becomes the URL each
consumer reads: libpq and psycopg `postgresql://`, SQLAlchemy/yoyo's
`postgresql+psycopg://` (psycopg 3) or `postgresql+psycopg2://`, or libpq's
keyword form (`host=... port=...`):

    Address("127.0.0.1", 54322, "postgres", "secret").url("psycopg")
    with_dialect("postgres://u:p@h/db", "psycopg")     # 'postgresql+psycopg://u:p@h/db'

A refused connection reads as one line naming the redacted URL:

    supakit: cannot connect to postgresql://postgres:***@127.0.0.1:5999/postgres: connection refused
    (no server listens there: is it running, is the port right?)
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import make_conninfo

from .errors import ConfigError, first_line


class DatabaseUnreachable(ConfigError):
    """The database refused or never answered the connection; the message names the URL, not its password."""


# Dialect -> URL scheme; `keywords` is libpq's `key=value` form instead of a URL.
DIALECTS = {"libpq": "postgresql", "psycopg": "postgresql+psycopg", "psycopg2": "postgresql+psycopg2"}
# Every scheme a Postgres URL may come with.
SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")


@dataclass(frozen=True)
class Address:
    """Where a database is and who connects: everything a URL of any dialect says."""

    host: str
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = "postgres"

    def url(self, dialect: str = "libpq") -> str:
        """This address as `dialect` reads it (libpq, psycopg, psycopg2, or keywords)."""
        if dialect == "keywords":
            return make_conninfo(host=self.host, port=self.port, user=self.user, password=self.password,
                                 dbname=self.dbname)
        who, secret = quote(self.user, safe=""), quote(self.password, safe="")
        return f"{DIALECTS[dialect]}://{who}:{secret}@{self.host}:{self.port}/{self.dbname}"

    def replace(self, **changes: object) -> Address:
        """The same address with some parts changed (None leaves a part as it is)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def parse(cls, url: str) -> Address:
        """The address in a URL of any of `SCHEMES`; ValueError for another scheme or no host."""
        parts = urlsplit(with_dialect(url, "libpq"))
        if parts.scheme != "postgresql" or not parts.hostname:
            raise ValueError(f"not a postgresql://user:password@host:port/db URL: {redact(url)}")
        return cls(host=parts.hostname, port=parts.port or 5432, user=unquote(parts.username or "postgres"),
                   password=unquote(parts.password or ""), dbname=parts.path.lstrip("/") or "postgres")


def with_dialect(url: str, dialect: str = "libpq") -> str:
    """`url` with the scheme `dialect` reads; a URL of no Postgres scheme is returned as it is."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in SCHEMES:
        return url
    return f"{DIALECTS[dialect]}://{rest}"


def redact(url: str) -> str:
    """`url` with its password (in the netloc or a `password=` parameter) replaced by `***`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparsable database URL)"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = re.sub(r"(?i)(^|&)(password)=[^&]*", r"\1\2=***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# What libpq says, and what it means for the person reading it.
REASONS = (
    ("password authentication failed", "wrong password for user {user}"),
    ("connection refused", "connection refused (no server listens there: is it running, is the port right?)"),
    ("does not exist", None),  # the server's own words name the role or database
    ("timeout expired", "no answer within the connect timeout (is the host right, is a firewall in the way?)"),
    ("could not translate host name", "unknown host name"),
    ("no such file or directory", "no server socket there (is the server running?)"),
)


def reason(exc: BaseException, url: str = "") -> str:
    """libpq's long message as one short reason."""
    text = " ".join(str(exc).split())
    lowered = text.lower()
    user = urlsplit(url).username if url else None
    for needle, said in REASONS:
        if needle in lowered:
            if said is None:
                return _server_words(text)
            return said.format(user=repr(user) if user else "")
    return _server_words(first_line(exc))


def _server_words(text: str) -> str:
    """libpq prefixes the server's words with `connection to server at ... failed:` (and FATAL)."""
    tail = text.rsplit("failed:", 1)[-1].strip()
    return re.sub(r"^(FATAL|ERROR):\s*", "", tail) or text


def unreachable(url: str, exc: BaseException) -> DatabaseUnreachable:
    """A connection that could not be opened, or (told apart by libpq's words) one that broke."""
    text = str(exc)
    if "connection to server" in text or "connection failed" in text or "could not translate" in text:
        return DatabaseUnreachable(f"cannot connect to {redact(url)}: {reason(exc, url)}")
    return DatabaseUnreachable(f"lost the connection to {redact(url)}: {first_line(exc)}")


def connect(url: str, **kwargs) -> psycopg.Connection:
    """`psycopg.connect`, whose failure to connect is one line naming the redacted URL."""
    try:
        return psycopg.connect(url, **kwargs)
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from exc
