"""A keep-alive HTTP/1.1 client on asyncio streams, for bench/load.py's generator.

httpx costs ~2 ms of CPU per request here (measured side by side: ~0.4 ms for this
client): on 2 shared cores the generator would take the CPU the stack needs and cap
what is measured. One connection per user, one request in flight on it, bodies by
Content-Length or chunked; a `Connection: close` answer (nginx closes after its
keepalive_requests) reconnects on the next request.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class Response:
    __slots__ = ("status_code", "content")

    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


class RawHttp:
    """One keep-alive connection to `host:port`; `request` is not safe for concurrent use."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Response:
        data = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(data)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
        try:
            self.writer.write(head.encode() + data)
            return await asyncio.wait_for(self._response(), self.timeout)
        except BaseException:
            await self.aclose()
            raise

    async def _response(self) -> Response:
        assert self.reader is not None
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        content = await (self._chunks() if chunked else self.reader.readexactly(length))
        if close:
            await self.aclose()
        return Response(status, content)

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    async def aclose(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
