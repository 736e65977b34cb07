"""A network path to PostgreSQL that can fall silent: every packet dropped in transit, nothing reset.

What the fault proxies (tools/local/faults.py) cannot show: a proxy's own kernel
acknowledges the client's data and answers its keepalive probes, so the client
never meets silence. Here the client (the test process, in the host's network
namespace) reaches PostgreSQL through two network namespaces made for the path:

    client --veth--> router namespace --veth--> server namespace: forwarder ==(host)==> PostgreSQL

`silence()` drops every packet the router forwards, both ways, with a qdisc on
its two interfaces. The drop is in transit so that neither end can tell: a
packet dropped by the sender's own qdisc is reported to its socket, and TCP
takes that for local congestion (it retries every half second without counting
a lost keepalive probe). The qdisc is a token bucket (tbf) whose 1-byte bucket
is smaller than any packet, so it drops them all: netem's `loss 100%` would do
the same, but the kernel this runs on has no netem (CONFIG_NET_SCH_NETEM unset).

The forwarder (`python -m tests.silent_path`, a `TcpFaultProxy`
serving a listener made in the server namespace) connects to PostgreSQL from
the host's namespace, so the server may listen on 127.0.0.1 or a Unix socket.

Needs root, or passwordless sudo (``sudo -n``) for ``ip``, ``tc`` and the
forwarder; `PathUnavailable` says what is missing. Names and addresses are
random per path (parallel pytest-xdist workers), and `close()` removes
everything it made, whatever happened before.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import json
import os
import random
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from tools.local.faults import Address, TcpFaultProxy

# RFC 2544's benchmarking range: no real network of this machine uses it.
NETWORK = ipaddress.ip_network("198.18.0.0/15")
REPO = Path(__file__).resolve().parents[1]
# A token bucket too small for any packet: every packet is dropped.
DROP_ALL = ("tbf", "rate", "1kbit", "burst", "1", "limit", "1")
CLONE_NEWNET = 0x40000000


class PathUnavailable(RuntimeError):
    """This machine cannot build the path (no root, no network namespaces, no tbf); the message says why."""


def upstream_of(dsn: str) -> Address:
    """Where the PostgreSQL of ``dsn`` listens: (host, port), or its Unix socket's path."""
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(dsn)
    host, port = str(info.get("host") or ""), int(info.get("port") or 5432)
    if not host:
        raise ValueError(f"the silent path needs the server's host in {dsn!r}")
    return f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port)


def _privileged() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo", "-n"]


# Where iproute2 and procps install their tools: Debian leaves these directories off a
# non-root user's PATH, though `sudo -n tc` finds them there (sudo's secure_path).
SYSTEM_BIN = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")


def _tool(name: str) -> str | None:
    """The tool's absolute path, searched on PATH and in the system directories."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), *SYSTEM_BIN]))


class SilentPath:
    """client -> router namespace -> server namespace -> PostgreSQL at ``upstream``; `silence()` / `restore()`."""

    def __init__(self, upstream: Address) -> None:
        self.upstream = upstream
        tag = f"{random.getrandbits(32):08x}"
        self._router, self._server = f"hz-silent-{tag}-r", f"hz-silent-{tag}-s"
        # Interface names hold 15 characters at most.
        self._host_if, self._router_in, self._router_out, self._server_if = (f"hzs{tag}{end}" for end in "hiox")
        self.host: str = ""
        self.port: int = 0
        self._forwarder: subprocess.Popen[str] | None = None
        self._silent = False
        self._undo = contextlib.ExitStack()

    # -- what a test uses ---------------------------------------------------------------------------

    def dsn(self, dsn: str) -> str:
        """``dsn`` (a database on ``upstream``) reached through the path."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(dsn, host=self.host, port=self.port)

    def silence(self) -> None:
        """From now on the router drops every packet, both ways (nothing is reset)."""
        for dev in (self._router_in, self._router_out):
            self._run("tc", "-n", self._router, "qdisc", "replace", "dev", dev, "root", *DROP_ALL)
        self._silent = True

    def restore(self) -> None:
        """The router forwards again."""
        for dev in (self._router_in, self._router_out):
            self._run("tc", "-n", self._router, "qdisc", "del", "dev", dev, "root")
        self._silent = False

    # -- building and removing it -------------------------------------------------------------------

    def open(self) -> SilentPath:
        for tool in ("ip", "tc", "sysctl", *_privileged()[:1]):
            if _tool(tool) is None:
                raise PathUnavailable(f"the silent network path needs `{tool}` (root, or sudo, and iproute2)")
        try:
            self._build()
        except BaseException:
            self._undo.close()
            raise
        return self

    def close(self) -> None:
        """Undo everything made, newest first; each step runs whatever the others did."""
        self._undo.close()

    def _build(self) -> None:
        run, undo, router, server = self._run, self._undo, self._router, self._server
        try:
            run("ip", "netns", "add", router)
        except subprocess.CalledProcessError as exc:
            raise PathUnavailable(
                f"cannot create a network namespace (`ip netns add`: {exc.stderr.strip()}): the silent "
                "network test needs root or passwordless sudo (CAP_SYS_ADMIN, CAP_NET_ADMIN)"
            ) from None
        undo.callback(run, "ip", "netns", "del", router)
        run("ip", "netns", "add", server)
        undo.callback(run, "ip", "netns", "del", server)
        # Deleting one end of a veth pair deletes both (and the routes through it). Explicitly: a
        # namespace outlives its name while a socket in it lingers, and its interfaces with it.
        run("ip", "link", "add", self._host_if, "type", "veth", "peer", "name", self._router_in, "netns", router)
        undo.callback(run, "ip", "link", "del", self._host_if)
        run("ip", "-n", router, "link", "add", self._router_out, "type", "veth", "peer", "name", self._server_if)
        undo.callback(run, "ip", "-n", router, "link", "del", self._router_out)
        run("ip", "-n", router, "link", "set", self._server_if, "netns", server)
        block = self._free_block()
        host, router_in, router_out, server_ip = (str(block[i]) for i in (1, 2, 5, 6))
        for ns, dev, address in (
            (None, self._host_if, host),
            (router, self._router_in, router_in),
            (router, self._router_out, router_out),
            (server, self._server_if, server_ip),
        ):
            where = ("-n", ns) if ns else ()
            run("ip", *where, "addr", "add", f"{address}/30", "dev", dev)
            run("ip", *where, "link", "set", dev, "up")
        run("ip", "route", "add", f"{block[4]}/30", "via", router_in)
        run("ip", "-n", server, "route", "add", "default", "via", router_out)
        run("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        self._start_forwarder(server, server_ip)
        undo.callback(self._stop_forwarder)
        # Run first when undoing: nothing else is undone while the path drops packets.
        undo.callback(self._restore_if_silent)
        try:  # now rather than in the middle of a test
            self.silence()
            self.restore()
        except subprocess.CalledProcessError as exc:
            raise PathUnavailable(
                f"cannot drop packets with `tc qdisc ... {' '.join(DROP_ALL)}` ({exc.stderr.strip()}): "
                "the kernel needs the tbf qdisc (CONFIG_NET_SCH_TBF)"
            ) from None

    def _restore_if_silent(self) -> None:
        if self._silent:
            self.restore()

    def _start_forwarder(self, server: str, listen_ip: str) -> None:
        upstream = self.upstream if isinstance(self.upstream, str) else f"{self.upstream[0]}:{self.upstream[1]}"
        self._forwarder = subprocess.Popen(
            [*_privileged(), sys.executable, "-m", "tests.silent_path", server, listen_ip, upstream],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._forwarder.stdout is not None
        line = self._forwarder.stdout.readline()  # its port, or end of file if it failed
        if not line.strip().isdigit():
            _, err = self._forwarder.communicate(timeout=10)
            self._forwarder = None
            raise RuntimeError(f"the silent path's forwarder did not start: {err.strip() or line}")
        self.host, self.port = listen_ip, int(line)

    def _stop_forwarder(self) -> None:
        assert self._forwarder is not None
        proc, self._forwarder = self._forwarder, None
        try:
            proc.communicate(timeout=10)  # closes its stdin: it stops
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        if proc.returncode:
            raise RuntimeError(f"the silent path's forwarder failed ({proc.returncode})")

    def _free_block(self) -> ipaddress.IPv4Network:
        """A random /29 of NETWORK that no route of this machine overlaps (two /30 links)."""
        out = self._run("ip", "-j", "-4", "route", "show", "table", "all").stdout
        used = []
        for route in json.loads(out or "[]"):
            with contextlib.suppress(ValueError):
                used.append(ipaddress.ip_network(route.get("dst", ""), strict=False))
        blocks = NETWORK.num_addresses // 8
        for _ in range(100):
            block = ipaddress.ip_network(f"{NETWORK[8 * random.randrange(blocks)]}/29")
            if not any(block.overlaps(u) for u in used if u.prefixlen > 0):
                return block
        raise RuntimeError(f"no free /29 left in {NETWORK}")

    @staticmethod
    def _run(*command: str) -> subprocess.CompletedProcess[str]:
        tool, *args = command
        return subprocess.run(
            [*_privileged(), _tool(tool) or tool, *args], check=True, capture_output=True, text=True, timeout=30
        )


# -- the forwarder (runs privileged, in its own process) ------------------------------------------------


def _setns(fd: int) -> None:
    if hasattr(os, "setns"):  # Python 3.12+
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def listen_in(netns: str, host: str) -> socket.socket:
    """A listening socket in network namespace ``netns`` (this thread returns to its own after)."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            return socket.create_server((host, 0))
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


def serve(netns: str, listen_ip: str, upstream: str) -> None:
    """Forward connections made to ``listen_ip`` in ``netns`` to ``upstream`` (host:port, or a Unix
    socket's path) from this namespace; print the port, stop when stdin closes."""
    host, _, port = upstream.rpartition(":")
    address: Address = upstream if upstream.startswith("/") else (host, int(port))
    proxy = TcpFaultProxy(address, "silent-path", listener=listen_in(netns, listen_ip))
    print(proxy.port, flush=True)
    sys.stdin.read()
    proxy.close()


if __name__ == "__main__":
    serve(*sys.argv[1:])
