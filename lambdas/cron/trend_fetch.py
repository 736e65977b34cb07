"""Fetching one source page safely, on a fresh connection per request.

- One deadline per fetch covers DNS, connect, TLS, headers and body, across
  redirects: the source's timeout, cut to what the run has left. Socket
  timeouts bound each wait; a watchdog shuts the socket at the deadline, so a
  server trickling bytes cannot stretch a fetch.
- Every hop's DNS answers are checked (`cron.trend_addresses`) before any
  connection, and the connection goes to the checked address.
- No connection pool: a connection is closed after its one response, read
  in full or not, so no leftover bytes can become the next source's answer.
- ``Retry-After`` of a 429/503 is handed back on the error so the caller can
  skip the source until then.
- The body is decompressed only up to the source's byte cap (urllib3 2
  decodes just what is asked for), so a gzip bomb is refused as too large.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import urljoin, urlsplit

from cron.sources import Page, Source, SourceError
from cron.trend_addresses import IPAddress, allowed_networks, refusal

MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
# A source asking for more than a day is still tried daily.
MAX_RETRY_AFTER_S = 24 * 3600.0
ACCEPT = {
    "json": "application/json",
    "rss": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8",
    "html": "text/html, application/xhtml+xml;q=0.9",
}

Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class Fetcher:
    """GETs source pages within a deadline, from allowed addresses only, spaced per host."""

    def __init__(
        self,
        user_agent: str,
        *,
        allowed: Iterable[str] = (),
        resolver: Resolver = system_resolver,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.user_agent = user_agent
        self._allowed = allowed_networks(allowed)
        self._resolver = resolver
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._last_request: dict[str, float] = {}

    def fetch(self, source: Source, *, remaining_s: Callable[[], float] | None = None) -> Page:
        """The page at ``source.url`` (after redirects); a `SourceError` for every failure."""
        self._wait_turn(source)
        limit = source.timeout_seconds if remaining_s is None else min(source.timeout_seconds, remaining_s())
        if limit <= 0:
            raise SourceError("out_of_time", f"no time left in the run to fetch {source.url}")
        deadline = time.monotonic() + limit
        url = source.url
        for _hop in range(MAX_REDIRECTS + 1):
            answer = self._get(source, url, deadline, limit)
            if isinstance(answer, Page):
                return answer
            url = answer
        raise SourceError("too_many_redirects", f"{source.url} redirects more than {MAX_REDIRECTS} times")

    def _get(self, source: Source, url: str, deadline: float, limit: float) -> Page | str:
        """The page, or the URL a redirect points to."""
        import urllib3

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError("blocked_address", f"{url}: only http and https URLs are fetched")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = self._checked_address(url, parts.hostname, port, deadline, limit)
        conn = _connection(parts.scheme, address, port, parts.hostname, timeout=max(deadline - time.monotonic(), 0.01))
        watchdog = _Watchdog(conn, deadline - time.monotonic())
        try:
            conn.request(
                "GET",
                (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                headers={
                    "Host": parts.netloc.rsplit("@", 1)[-1],
                    "User-Agent": self.user_agent,
                    "Accept": ACCEPT[source.kind],
                    "Accept-Encoding": "gzip, deflate",
                    "Connection": "close",
                },
                preload_content=False,
            )
            response = conn.getresponse()
            if response.status in REDIRECT_STATUSES and response.headers.get("Location"):
                return urljoin(url, response.headers["Location"])
            if response.status != 200:
                retry_after = self._retry_after(response.headers.get("Retry-After"), response.status)
                raise SourceError("http_error", f"{url} answered HTTP {response.status}", retry_after_s=retry_after)
            body = response.read(source.max_bytes + 1, decode_content=True)
        except urllib3.exceptions.DecodeError as exc:
            raise SourceError("malformed_page", f"{url}: the body cannot be decompressed ({exc})") from None
        except (OSError, urllib3.exceptions.HTTPError, http.client.HTTPException) as exc:
            if watchdog.fired or time.monotonic() >= deadline:
                raise SourceError("timeout", f"{url} did not finish within {limit:g}s") from None
            raise SourceError("unreachable", f"fetching {url} failed: {type(exc).__name__}: {exc}") from None
        finally:
            watchdog.cancel()
            conn.close()
        if len(body) > source.max_bytes:
            raise SourceError("too_large", f"{url} is larger than {source.max_bytes} bytes")
        return Page(url=url, body=body, content_type=response.headers.get("Content-Type", ""))

    def _checked_address(self, url: str, host: str, port: int, deadline: float, limit: float) -> IPAddress:
        try:
            answers = [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            answers = [
                ipaddress.ip_address(a.split("%", 1)[0]) for a in self._resolve(url, host, port, deadline, limit)
            ]
        if not answers:
            raise SourceError("unreachable", f"{host} has no address")
        for address in answers:
            why = refusal(address, self._allowed)
            if why is not None:
                raise SourceError("blocked_address", f"{url}: {host} is {address}, a {why}; not fetched")
        return answers[0]

    def _resolve(self, url: str, host: str, port: int, deadline: float, limit: float) -> list[str]:
        # getaddrinfo has no timeout of its own: run it aside and stop waiting at the deadline.
        result: list[list[str] | BaseException] = []

        def lookup() -> None:
            try:
                result.append(self._resolver(host, port))
            except BaseException as exc:  # handed to the waiting thread
                result.append(exc)

        thread = threading.Thread(target=lookup, name=f"resolve-{host}", daemon=True)
        thread.start()
        thread.join(max(deadline - time.monotonic(), 0))
        if not result:
            raise SourceError("timeout", f"{url}: no DNS answer for {host} within {limit:g}s")
        if isinstance(result[0], BaseException):
            raise SourceError("unreachable", f"cannot resolve {host}: {result[0]}")
        return result[0]

    def _retry_after(self, header: str | None, status: int) -> float | None:
        if status not in RETRY_AFTER_STATUSES or not header:
            return None
        text = header.strip()
        if text.isdigit():
            seconds = float(text)
        else:
            try:
                seconds = email.utils.parsedate_to_datetime(text).timestamp() - self._wall_clock()
            except (TypeError, ValueError):
                return None
        return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)

    def _wait_turn(self, source: Source) -> None:
        host = urlsplit(source.url).netloc
        last = self._last_request.get(host)
        if last is not None:
            wait = source.min_interval_seconds - (self._clock() - last)
            if wait > 0:
                self._sleep(wait)
        self._last_request[host] = self._clock()


def _connection(scheme: str, address: IPAddress, port: int, host: str, *, timeout: float):  # type: ignore[no-untyped-def]
    from urllib3.connection import HTTPConnection, HTTPSConnection

    if scheme == "https":
        # Connect to the checked address; verify the certificate against the name.
        return HTTPSConnection(str(address), port, timeout=timeout, server_hostname=host)
    return HTTPConnection(str(address), port, timeout=timeout)


class _Watchdog:
    """Shuts the connection's socket when the deadline passes, ending any read in progress."""

    def __init__(self, conn, seconds: float) -> None:  # type: ignore[no-untyped-def]
        self.fired = False
        self._conn = conn
        self._timer = threading.Timer(max(seconds, 0.0), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.fired = True
        sock = getattr(self._conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()
