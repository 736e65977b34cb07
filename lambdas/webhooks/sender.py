"""One signed POST to one endpoint, to a checked public address only.

The host is resolved and every address it answers is checked
(`common.public_addresses`): a private, link-local or loopback one refuses
the attempt before any connection, naming the addresses tried. The
connection goes to the checked address, with the certificate verified
against the host name. Redirects are not followed (a 3xx is a failure).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from common.public_addresses import allowed_networks, refusal

Resolver = Callable[[str, int], list[str]]
# Enough of an answer to log; the rest is not read.
MAX_ANSWER_BYTES = 4096


@dataclass(frozen=True)
class PostResult:
    status: int | None  # the HTTP status, None when no answer came
    error: str | None  # why the attempt failed, None on a 2xx
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.error is None


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout_s: float,
    require_https: bool = True,
    allowed: tuple[str, ...] = (),
    resolver: Resolver = system_resolver,
) -> PostResult:
    started = time.monotonic()

    def done(status: int | None, error: str | None) -> PostResult:
        return PostResult(status, error, int((time.monotonic() - started) * 1000))

    parts = urlsplit(url)
    if parts.scheme != "https" and (require_https or parts.scheme != "http"):
        return done(None, f"refused: {parts.scheme or 'no'} scheme; endpoints must be https")
    host = parts.hostname
    if not host:
        return done(None, "refused: the URL has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = _addresses(host, port, resolver)
    except OSError as exc:
        return done(None, f"unreachable: cannot resolve {host}: {exc}")
    networks = allowed_networks(allowed)
    refused = [(a, why) for a in addresses if (why := refusal(a, networks)) is not None]
    if refused or not addresses:
        tried = ", ".join(f"{a} ({why})" for a, why in refused) or "none"
        return done(None, f"refused: {host} resolves to a non-public address; addresses tried: {tried}")
    return _send(parts, host, port, addresses[0], body, headers, timeout_s, done)


def _addresses(host: str, port: int, resolver: Resolver) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        return [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]


def _send(parts, host, port, address, body, headers, timeout_s, done):  # type: ignore[no-untyped-def]
    import http.client

    import urllib3
    from urllib3.connection import HTTPConnection, HTTPSConnection

    if parts.scheme == "https":
        conn = HTTPSConnection(str(address), port, timeout=timeout_s, server_hostname=host)
    else:
        conn = HTTPConnection(str(address), port, timeout=timeout_s)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                **headers,
                "Host": parts.netloc.rsplit("@", 1)[-1],
                "Content-Type": "application/json",
                "User-Agent": "Huntaze-Webhooks/1.0",
                "Connection": "close",
            },
        )
        response = conn.getresponse()
        response.read(MAX_ANSWER_BYTES)
    except (OSError, urllib3.exceptions.HTTPError, http.client.HTTPException) as exc:
        return done(None, f"unreachable: {type(exc).__name__}: {exc}"[:500])
    finally:
        conn.close()
    if 200 <= response.status < 300:
        return done(response.status, None)
    return done(response.status, f"answered HTTP {response.status}")
