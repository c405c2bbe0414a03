"""A small HTTP/1.1 client on asyncio streams (no HTTP client package is installed): one new
connection per request, `Connection: close`, as a browser's first request on a link would be.
It tells apart an answer, a connection the server closed or reset without answering (what a
killed worker leaves its clients), and a timeout."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

CLOSED = "closed"  # reset, or closed before a whole answer came
TIMEOUT = "timeout"


class NoAnswer(Exception):
    """The request got no (whole) answer: `why` is CLOSED or TIMEOUT."""

    def __init__(self, why: str, detail: str) -> None:
        super().__init__(f"{why}: {detail}")
        self.why = why


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names; the last of repeated ones
    cookies: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


async def fetch(port: int, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None,
                timeout: float = 60.0) -> Reply:
    """One request to 127.0.0.1:`port`; raises NoAnswer when no whole answer came back."""
    try:
        return await asyncio.wait_for(_exchange(port, method, path, body, headers or {}), timeout)
    except asyncio.TimeoutError as error:
        raise NoAnswer(TIMEOUT, f"no answer within {timeout:.0f} s") from error
    except (ConnectionError, asyncio.IncompleteReadError, EOFError) as error:
        raise NoAnswer(CLOSED, f"{error.__class__.__name__}: {error}") from error


async def _exchange(port: int, method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
                 "User-Agent: rollout-load", "Accept-Language: sv"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        return await _read_reply(reader)
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass  # the server reset it: the reply (or its absence) is what counts


async def _read_reply(reader: asyncio.StreamReader) -> Reply:
    status_line = await reader.readline()
    if not status_line:
        raise EOFError("closed before the status line")
    parts = status_line.decode("latin-1").split(" ", 2)
    reply = Reply(int(parts[1]))
    while True:
        line = (await reader.readline()).decode("latin-1")
        if not line.endswith("\n"):
            raise EOFError("closed in the headers")
        line = line.rstrip("\r\n")
        if not line:
            break
        name, _colon, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        reply.headers[name] = value
        if name == "set-cookie":
            cookie, _eq, rest = value.partition("=")
            reply.cookies[cookie.strip()] = rest.split(";", 1)[0]
    if reply.headers.get("transfer-encoding", "").lower() == "chunked":
        reply.body = await _read_chunks(reader)
    elif "content-length" in reply.headers:
        reply.body = await reader.readexactly(int(reply.headers["content-length"]))
    else:
        reply.body = await reader.read()
    return reply


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        line = await reader.readline()
        if not line:
            raise EOFError("closed in the body")
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            await reader.readline()
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
