"""The front that keeps each browser on one server process (ui/front.py), against two tiny
stand-in processes on loopback ports that answer with their own number and the request head."""

from __future__ import annotations

import asyncio
import socket

from ui.front import COOKIE, start


async def _stand_in(number: int, heads: list[bytes]):
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        body = str(number).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _ask(port: int, cookie: str | None = None) -> tuple[str, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = f"Cookie: theme=dark; {cookie}\r\n" if cookie else ""
    writer.write(f"GET / HTTP/1.1\r\nHost: dashboard\r\nConnection: keep-alive\r\n{extra}\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    body = await reader.read()  # the front closes after one answer
    writer.close()
    return body.decode(), head


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_front(check):
    """Run `check(front_port, heads, stop_process)` against a front over two stand-ins."""

    async def run():
        heads: list[bytes] = []
        stand_ins = [await _stand_in(n, heads) for n in range(2)]
        front_port = _free_port()
        front = await start("127.0.0.1", front_port, [("127.0.0.1", p) for _, p in stand_ins])
        try:
            await check(front_port, heads, lambda n: stand_ins[n][0].close())
        finally:
            front.close()
            for server, _ in stand_ins:
                server.close()

    asyncio.run(asyncio.wait_for(run(), 30))


def test_a_new_browser_is_named_a_process_in_a_cookie_and_kept_on_it():
    async def check(port, heads, stop_process):
        number, head = await _ask(port)
        assert f"Set-Cookie: {COOKIE}={number}; Path=/".encode() in head
        for _ in range(4):
            again, head = await _ask(port, f"{COOKIE}={number}")
            assert again == number
            assert b"Set-Cookie" not in head

    _with_front(check)


def test_new_browsers_are_spread_over_the_processes():
    async def check(port, heads, stop_process):
        assert {(await _ask(port))[0] for _ in range(4)} == {"0", "1"}

    _with_front(check)


def test_a_browser_whose_process_is_gone_moves_to_another_with_a_new_cookie():
    async def check(port, heads, stop_process):
        stop_process(1)
        number, head = await _ask(port, f"{COOKIE}=1")
        assert number == "0"
        assert f"Set-Cookie: {COOKIE}=0".encode() in head

    _with_front(check)


def test_the_process_sees_the_client_address_and_one_request_per_connection():
    async def check(port, heads, stop_process):
        await _ask(port)
        forwarded = heads[-1].decode()
        assert "X-Forwarded-For: 127.0.0.1" in forwarded
        assert "Connection: close" in forwarded and "keep-alive" not in forwarded

    _with_front(check)
