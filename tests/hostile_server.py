"""A misbehaving HTTP server on 127.0.0.1, for proving that every request ends promptly and clearly.

Each ``Hostile`` server answers every request with one ``behaviour``:

- ``dribble``: a status line, then one header byte every ``interval`` seconds, never finishing;
- ``endless``: a 200 chunked JSON-looking body that never ends;
- ``huge``: a 200 announcing ``huge_bytes`` of body and sending them;
- ``nested``: a 200 JSON body of ``depth`` nested arrays;
- ``html``: a 200 ``text/html`` page;
- ``echo_key``: a 401 whose message repeats the bearer token it was sent (as some servers do).

Every loop is bounded in bytes and seconds (``max_seconds``) and ends when the client goes away, so
the server stops by itself whatever the client does.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from typing import Any


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Hostile:
    def __init__(self, behaviour: str, *, interval: float = 0.2, huge_bytes: int = 1 << 30, depth: int = 100_000,
                 max_seconds: float = 30.0) -> None:  # fmt: skip
        self.behaviour = behaviour
        self.interval = interval
        self.huge_bytes = huge_bytes
        self.depth = depth
        self.max_seconds = max_seconds
        self.requests = 0
        self.seen_auth: list[str] = []
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> Hostile:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> Any:
        hostile = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(5)
                headers = _read_request(conn)
                hostile.requests += 1
                auth = headers.get("authorization", "")
                hostile.seen_auth.append(auth)
                with contextlib.suppress(OSError):  # the client gave up: exactly what it should do
                    getattr(hostile, "_" + hostile.behaviour)(conn, auth)

        return Handler

    def _until(self) -> float:
        return time.monotonic() + self.max_seconds

    def _dribble(self, conn: socket.socket, auth: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        end = self._until()
        while time.monotonic() < end:
            conn.sendall(b"X")
            time.sleep(self.interval)

    def _endless(self, conn: socket.socket, auth: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
        chunk = b'{"padding": "' + b"x" * 65_000 + b'", '
        piece = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        end, sent = self._until(), 0
        while time.monotonic() < end and sent < 4 << 30:
            conn.sendall(piece)
            sent += len(piece)

    def _huge(self, conn: socket.socket, auth: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                     + f"content-length: {self.huge_bytes}\r\n\r\n".encode())  # fmt: skip
        block = b" " * 65_536
        end, sent = self._until(), 0
        while time.monotonic() < end and sent < self.huge_bytes:
            conn.sendall(block)
            sent += len(block)

    def _nested(self, conn: socket.socket, auth: str) -> None:
        _send(conn, 200, b"[" * self.depth + b"]" * self.depth)

    def _html(self, conn: socket.socket, auth: str) -> None:
        page = b"<!doctype html><html><head><title>Welcome to nginx!</title></head><body>It works.</body></html>"
        _send(conn, 200, page, "text/html; charset=utf-8")

    def _echo_key(self, conn: socket.socket, auth: str) -> None:
        token = auth.removeprefix("Bearer ").strip()
        body = ('{"error": {"message": "Incorrect API key provided: ' + token + " (header was: " + auth + ')", '
                '"type": "invalid_request_error", "code": "invalid_api_key"}}').encode()  # fmt: skip
        _send(conn, 401, body)


def _read_request(conn: socket.socket) -> dict[str, str]:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 1 << 20:
        piece = conn.recv(65_536)
        if not piece:
            break
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(body) < length:
        piece = conn.recv(65_536)
        if not piece:
            break
        body += piece
    return headers


def _send(conn: socket.socket, status: int, body: bytes, content_type: str = "application/json") -> None:
    reason = {200: "OK", 401: "Unauthorized"}.get(status, "Error")
    conn.sendall(f"HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
                 "connection: close\r\n\r\n".encode() + body)  # fmt: skip
