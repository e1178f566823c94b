"""The front of the dashboard when it runs as several server processes (see ui/serve.py).

A browser session must stay on the process that started it: that process holds its websocket,
its uploaded files and its media. The front answers every browser on one address and sends
each connection on to one process: the one named by the browser's `sanse_server` cookie, or,
for a browser without one, the process with the fewest open connections, named then in a
cookie on the answer. It reads only the head of each request and of a first answer; everything
else is relayed byte for byte. Plain requests are sent one per connection (`Connection: close`),
so a proxy in front that pools its connections cannot carry one browser's request to another
browser's process; a websocket keeps its connection for as long as it is open.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

COOKIE = "sanse_server"
HEAD_LIMIT = 64 * 1024  # bytes of request or response head; a longer head is refused
HEAD_TIMEOUT = 30  # seconds a client may take to send its request head
CHUNK = 64 * 1024


@dataclass
class Backend:
    host: str
    port: int
    open: int = 0  # connections relayed to it now


@dataclass
class Front:
    backends: list[Backend]
    _turn: itertools.count = field(default_factory=itertools.count)

    def choose(self, named: int | None) -> list[int]:
        """The order in which to try the processes: the one the cookie names first, else the
        least busy (ties in turn); the others after it, in case it is down."""
        if named is None:
            fewest = min(b.open for b in self.backends)
            idle = [i for i, b in enumerate(self.backends) if b.open == fewest]
            named = idle[next(self._turn) % len(idle)]
        return [named] + [i for i in range(len(self.backends)) if i != named]

    async def handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        backend_writer = None
        try:
            try:
                head = await asyncio.wait_for(client_reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
            except asyncio.LimitOverrunError:
                client_writer.write(_answer(431, "Request Header Fields Too Large"))
                return
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                return
            request = Head.parse(head)
            named = request.sticky(len(self.backends))
            peer = client_writer.get_extra_info("peername")
            request.forwarded_for(peer[0] if peer else None)
            if not request.upgrade:
                request.set("Connection", "close")

            for index in self.choose(named):
                backend = self.backends[index]
                try:
                    backend_reader, backend_writer = await asyncio.open_connection(
                        backend.host, backend.port, limit=HEAD_LIMIT
                    )
                    break
                except OSError:
                    continue
            else:
                client_writer.write(_answer(502, "Bad Gateway"))
                return

            backend.open += 1
            try:
                backend_writer.write(request.bytes())
                cookie = f"{COOKIE}={index}; Path=/; HttpOnly; SameSite=Lax" if index != named else None
                answer = asyncio.create_task(_relay_answer(backend_reader, client_writer, cookie))
                asking = asyncio.create_task(_relay(client_reader, backend_writer))
                # The exchange ends when the process has answered (or closed a websocket), or when
                # a websocket's browser goes away; a plain request's answer is awaited in full.
                done, _ = await asyncio.wait({answer, asking}, return_when=asyncio.FIRST_COMPLETED)
                if answer not in done and not request.upgrade:
                    await asyncio.wait({answer})
                for task in (answer, asking):
                    task.cancel()
                await asyncio.gather(answer, asking, return_exceptions=True)
            finally:
                backend.open -= 1
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            for writer in (client_writer, backend_writer):
                if writer is not None:
                    writer.close()


@dataclass
class Head:
    """An HTTP/1.1 request head, as lines, with the few edits the front makes."""

    start: bytes
    fields: list[tuple[bytes, bytes]]

    @classmethod
    def parse(cls, raw: bytes) -> Head:
        lines = raw.rstrip(b"\r\n").split(b"\r\n")
        fields = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            fields.append((name.strip(), value.strip()))
        return cls(lines[0], fields)

    def get(self, name: str) -> list[bytes]:
        key = name.lower().encode()
        return [value for field_name, value in self.fields if field_name.lower() == key]

    def set(self, name: str, value: str) -> None:
        key = name.lower().encode()
        self.fields = [(n, v) for n, v in self.fields if n.lower() != key] + [(name.encode(), value.encode())]

    @property
    def upgrade(self) -> bool:
        return any(value.lower() == b"websocket" for value in self.get("Upgrade"))

    def sticky(self, processes: int) -> int | None:
        """The process named by the browser's cookie, if it names one that exists."""
        for header in self.get("Cookie"):
            for pair in header.split(b";"):
                name, _, value = pair.strip().partition(b"=")
                if name == COOKIE.encode() and value.isdigit() and int(value) < processes:
                    return int(value)
        return None

    def forwarded_for(self, address: str | None) -> None:
        """Add the client's address, so the dashboard still sees who is asking."""
        if address:
            earlier = b", ".join(self.get("X-Forwarded-For")).decode("latin-1")
            self.set("X-Forwarded-For", f"{earlier}, {address}" if earlier else address)

    def bytes(self) -> bytes:
        return b"\r\n".join([self.start, *(name + b": " + value for name, value in self.fields)]) + b"\r\n\r\n"


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


async def _relay_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, cookie: str | None) -> None:
    """The process's answer to the client, with the cookie that keeps the browser on it added
    to the first real answer (after any interim `100 Continue`)."""
    while cookie:
        head = await reader.readuntil(b"\r\n\r\n")
        status_end = head.index(b"\r\n")
        if head[9:12] == b"100":
            writer.write(head)
            continue
        writer.write(head[: status_end + 2] + f"Set-Cookie: {cookie}\r\n".encode() + head[status_end + 2 :])
        break
    await _relay(reader, writer)


def _answer(status: int, reason: str) -> bytes:
    return f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()


async def start(host: str | None, port: int, backends: list[tuple[str, int]]) -> asyncio.Server:
    """Answer on host:port (every interface when host is None) for the processes at `backends`."""
    front = Front([Backend(h, p) for h, p in backends])
    return await asyncio.start_server(front.handle, host, port, limit=HEAD_LIMIT, reuse_address=True)
