"""A raw-socket HTTP server for hostile behaviour pytest-httpserver cannot show, and a connection recorder."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Handler = Callable[[socket.socket, int], None]

# Every socket.connect of this process while recording (an audit hook cannot be removed, so it is installed once).
_recording: list[list[tuple]] = []


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect" and _recording:
        _recording[-1].append(args[1])


sys.addaudithook(_audit)


@contextmanager
def connections() -> Iterator[list[tuple]]:
    """The addresses this process connects to inside the block."""
    seen: list[tuple] = []
    _recording.append(seen)
    try:
        yield seen
    finally:
        _recording.remove(seen)


class RawServer:
    """Accepts connections on 127.0.0.1 and hands each to ``handler(conn, index)`` on its own thread."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.hung_up = threading.Event()  # a send failed: the client closed the connection early
        self.requests: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/t") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        for thread in self._threads:
            thread.join(5)

    def read_request(self, conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        self.requests.append(data)
        return data

    def trickle(self, conn: socket.socket, data: bytes, every_s: float) -> bool:
        """Send one byte per ``every_s``; False when the client hung up first."""
        for i in range(len(data)):
            try:
                conn.sendall(data[i : i + 1])
            except OSError:
                self.hung_up.set()
                return False
            if self._stop.wait(every_s):  # the test is over
                return True
        return True

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            index = self.connections
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn, index), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, index: int) -> None:
        with conn:
            try:
                self.handler(conn, index)
            except OSError:
                self.hung_up.set()
