"""Database URLs in messages: never with their password, and a refused connection in one line.

    supakit: cannot connect to postgresql://postgres:***@127.0.0.1:5999/postgres: connection refused
    (no server listens there: is it running, is the port right?)
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import psycopg

from .errors import ConfigError, first_line


class DatabaseUnreachable(ConfigError):
    """The database refused or never answered the connection; the message names the URL, not its password."""


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
        raise unreachable(url, exc) from None
