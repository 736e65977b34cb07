"""Fault proxies for the local system: the seams that break a dependency while real work is in flight.

Never part of a deployed path: the local system puts them between its
functions and the services only when ``Settings.fault_proxies`` is on (the
fault-injection tests, tests/e2e/faults). The functions then see exactly what
a broken dependency shows a Lambda: a refused or reset connection, an HTTP
error, a server that never answers, an answer cut off mid-body.

* ``TcpFaultProxy``: PostgreSQL and Valkey. ``down()`` resets every open
  connection and every new one until ``up()`` (a server stopped, then
  restarted: the clients' connections are gone and must be made again).
* ``HttpFaultProxy``: moto's server (S3, SQS) and the Azure AI stand-in.
  ``inject(Fault(...))`` makes the requests a ``Fault`` matches answer an
  HTTP status (with headers such as Retry-After), wait before being
  forwarded (slow), hang without an answer, or get the real answer's headers
  and half its body before the connection is cut.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger("local.faults")

# Upstream: (host, port) over TCP, or the path of a Unix socket (an embedded PostgreSQL).
Address = tuple[str, int] | str


def _reset(sock: socket.socket) -> None:
    """End the connection now: shutdown (which also wakes a pump thread blocked in recv on it:
    a bare close() from another thread leaves the connection open), then close with a TCP RST."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class TcpFaultProxy:
    """A TCP forwarder on 127.0.0.1 that can be switched down (every connection reset) and up again.

    ``listener``: a listening socket to serve instead (the silent path of
    tests/silent_path.py listens in another network namespace).
    """

    def __init__(self, upstream: Address, name: str, *, listener: socket.socket | None = None) -> None:
        self.upstream, self.name = upstream, name
        self._listener = listener or socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._down = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.refused = 0  # connections reset while down
        self._closed = False
        threading.Thread(target=self._accept, name=f"fault-{name}", daemon=True).start()

    def down(self) -> None:
        """Reset every open connection; new ones are reset until `up()`."""
        self._down.set()
        with self._lock:
            victims, self._open = self._open, set()
        for sock in victims:
            _reset(sock)
        logger.info("fault: %s down (%d connections reset)", self.name, len(victims))

    def up(self) -> None:
        self._down.clear()
        logger.info("fault: %s up", self.name)

    @property
    def is_down(self) -> bool:
        return self._down.is_set()

    def close(self) -> None:
        self._closed = True
        self.down()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _connect_upstream(self) -> socket.socket:
        if isinstance(self.upstream, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.upstream)
            return sock
        return socket.create_connection(self.upstream, timeout=5)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._down.is_set():
                self.refused += 1
                _reset(client)
                continue
            try:
                server = self._connect_upstream()
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._open.update((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()


# -- HTTP ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """What a fault sees of one request: method, path, headers, body, and the AWS service/operation it is."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def service(self) -> str | None:
        """The SigV4 credential scope's service (``s3``, ``sqs``), from the header or a presigned URL."""
        scope = self.headers.get("authorization", "")
        if not scope:
            query = parse_qs(urlsplit(self.path).query)
            scope = (query.get("X-Amz-Credential") or [""])[0]
        found = re.search(r"/[a-z0-9-]+/([a-z0-9-]+)/aws4_request", scope)
        return found[1] if found else None

    @property
    def operation(self) -> str | None:
        """SQS's operation (``SendMessage``): the JSON protocol's X-Amz-Target or the query protocol's Action."""
        target = self.headers.get("x-amz-target", "")
        if target:
            return target.rsplit(".", 1)[-1]
        form = parse_qs(self.body.decode("latin-1")) if self.method == "POST" else {}
        return (form.get("Action") or [None])[0]


def aws(service: str, operation: str | None = None, method: str | None = None) -> Callable[[Call], bool]:
    """A matcher: the requests to ``service`` (and ``operation``, ``method``) on the AWS endpoint."""

    def match(call: Call) -> bool:
        return (
            call.service == service
            and (operation is None or call.operation == operation)
            and (method is None or call.method == method)
        )

    return match


def path_endswith(suffix: str) -> Callable[[Call], bool]:
    return lambda call: urlsplit(call.path).path.endswith(suffix)


@dataclass
class Fault:
    """What the matching requests get. ``kind``: status | slow | hang | cut."""

    match: Callable[[Call], bool]
    kind: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"error":{"code":"ServiceUnavailable","message":"fault injected"}}'
    delay_s: float = 0.0  # slow: before forwarding; hang: how long, at most, before the connection is closed
    times: int | None = None  # only the first `times` matching requests (None: every one until cleared)
    hits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("status", "slow", "hang", "cut"):
            raise ValueError(f"unknown fault kind {self.kind!r}")


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade"}


class HttpFaultProxy:
    """An HTTP/1.1 forwarder on 127.0.0.1 in front of ``upstream`` (http://host:port) with injectable faults."""

    def __init__(self, upstream: str, name: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.name = name
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, name=f"fault-{name}", daemon=True).start()

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        self._released.clear()
        logger.info("fault: %s %s injected", self.name, fault.kind)
        return fault

    def clear(self) -> None:
        """Every fault off; hanging requests are released (their connections closed)."""
        with self._lock:
            self._faults.clear()
        self._released.set()
        logger.info("fault: %s cleared", self.name)

    @contextlib.contextmanager
    def fault(self, fault: Fault):
        self.inject(fault)
        try:
            yield fault
        finally:
            self.clear()

    def close(self) -> None:
        self.clear()
        self._server.shutdown()
        self._server.server_close()

    def _fault_for(self, call: Call) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if (fault.times is None or fault.hits < fault.times) and fault.match(call):
                    fault.hits += 1
                    return fault
        return None

    def forward(self, call: Call) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            headers = {k: v for k, v in call.headers.items() if k not in _HOP_BY_HOP}
            headers["content-length"] = str(len(call.body))
            conn.request(call.method, call.path, body=call.body, headers=headers)
            response = conn.getresponse()
            body = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, kept, body
        finally:
            conn.close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client or upstream gone mid-request (a cut, a hang released, the system stopping): nothing to report.
        logger.debug("fault proxy: request from %s ended early", client_address)


class _Handler(BaseHTTPRequestHandler):
    owner: HttpFaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _serve(self) -> None:
        call = Call(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self._read_body())
        fault = self.owner._fault_for(call)
        if fault is None:
            return self._answer(*self.owner.forward(call))
        if fault.kind == "status":
            return self._answer(
                fault.status, [("Content-Type", "application/json"), *fault.headers.items()], fault.body
            )
        if fault.kind == "slow":
            time.sleep(fault.delay_s)
            return self._answer(*self.owner.forward(call))
        if fault.kind == "hang":
            self.owner._released.wait(fault.delay_s)
            self.close_connection = True
            return None
        # cut: the real answer's headers and half its body, then the connection is gone.
        status, headers, body = self.owner.forward(call)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        _reset(self.connection)
        return None

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve  # noqa: N815


# -- the set the local system puts in front of its services ------------------------------------------


class FaultProxies:
    """One proxy per dependency: ``database``, ``cache`` (TCP), ``aws``, ``azure`` (HTTP)."""

    def __init__(self) -> None:
        self.database: TcpFaultProxy | None = None
        self.cache: TcpFaultProxy | None = None
        self.aws: HttpFaultProxy | None = None
        self.azure: HttpFaultProxy | None = None

    def database_url(self, url: str) -> str:
        """``url`` (a libpq conninfo or URI) through a proxy: host 127.0.0.1, the proxy's port."""
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(url)
        host, port = str(params.get("host") or "/tmp"), int(params.get("port") or 5432)
        upstream: Address = f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port)
        if self.database is None:
            self.database = TcpFaultProxy(upstream, "postgresql")
        return make_conninfo(url, host="127.0.0.1", port=str(self.database.port), hostaddr=None)

    def redis_url(self, url: str) -> str:
        parts = urlsplit(url)
        if self.cache is None:
            self.cache = TcpFaultProxy((parts.hostname or "127.0.0.1", parts.port or 6379), "valkey")
        return parts._replace(netloc=f"127.0.0.1:{self.cache.port}").geturl()

    def aws_url(self, url: str) -> str:
        if self.aws is None:
            self.aws = HttpFaultProxy(url, "aws")
        return self.aws.url

    def azure_url(self, url: str) -> str:
        if self.azure is None:
            self.azure = HttpFaultProxy(url, "azure")
        return self.azure.url

    def clear(self) -> None:
        """Every dependency back up, every fault off."""
        for tcp in (self.database, self.cache):
            if tcp is not None:
                tcp.up()
        for proxy in (self.aws, self.azure):
            if proxy is not None:
                proxy.clear()

    def close(self) -> None:
        for proxy in (self.database, self.cache, self.aws, self.azure):
            if proxy is not None:
                proxy.close()
