"""Fetching trend pages safely: deadlines, address checks at every hop, no reused connections, Retry-After."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from raw_http import RawServer, connections
from trend_fixtures import LOOPBACK, UA, configured, gzip_bomb, source

from cron.sources import Source, SourceError
from cron.trend_addresses import allowed_networks
from cron.trend_fetch import MAX_REDIRECTS, Fetcher

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"


def _fetcher(**kw) -> Fetcher:
    return Fetcher(UA, allowed=LOOPBACK, **kw)


def _raw_source(server: RawServer, **extra) -> Source:
    return configured(name="raw", url=server.url(), kind="json", count_scale="posts", min_interval_seconds=0, **extra)


def test_fetch_sends_the_user_agent(httpserver):
    httpserver.expect_request("/t", headers={"User-Agent": UA}).respond_with_json({"items": []})
    assert json.loads(_fetcher().fetch(source(httpserver, "json")).body) == {"items": []}


@pytest.mark.parametrize("status", [500, 404])
def test_http_error_status_is_a_source_error(httpserver, status):
    httpserver.expect_request("/t").respond_with_data("boom", status=status)
    with pytest.raises(SourceError) as err:
        _fetcher().fetch(source(httpserver, "json"))
    assert err.value.reason == "http_error" and str(status) in err.value.message
    assert err.value.retry_after_s is None


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        (429, "120", 120.0),
        (503, format_datetime(datetime(2026, 3, 10, 13, 0, tzinfo=UTC), usegmt=True), 1800.0),
        (503, "soon", None),
    ],
    ids=["seconds", "http-date", "unreadable"],
)
def test_retry_after_is_handed_back_with_the_error(httpserver, status, header, expected):
    httpserver.expect_request("/t").respond_with_data("slow down", status=status, headers={"Retry-After": header})
    wall = datetime(2026, 3, 10, 12, 30, tzinfo=UTC).timestamp()
    with pytest.raises(SourceError) as err:
        _fetcher(wall_clock=lambda: wall).fetch(source(httpserver, "json"))
    assert err.value.retry_after_s == expected


def test_redirect_is_followed_with_the_user_agent_on_every_hop(httpserver):
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_json({"items": [{"name": "#fyp", "count": 3}]})

    page = _fetcher().fetch(source(httpserver, "json", "/old"))

    assert json.loads(page.body)["items"][0]["name"] == "#fyp" and page.url.endswith("/new")
    hops = [(r.path, r.headers["User-Agent"]) for r, _ in httpserver.log if r.path in ("/old", "/new")]
    assert hops == [("/old", UA), ("/new", UA)]


def test_redirect_loop_is_a_source_error(httpserver):
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(SourceError) as err:
        _fetcher().fetch(source(httpserver, "json", "/loop"))
    assert err.value.reason == "too_many_redirects"
    assert sum(r.path == "/loop" for r, _ in httpserver.log) == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    ("location", "address"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.169.254"),
        ("http://127.0.0.2:{port}/t", "127.0.0.2"),
        ("http://10.1.2.3/", "10.1.2.3"),
        ("http://[::ffff:127.0.0.2]:{port}/t", "127.0.0.2"),
    ],
    ids=["metadata", "loopback-not-allowed", "private", "ipv4-mapped-loopback"],
)
def test_redirect_to_a_refused_address_is_not_followed_and_never_connected(httpserver, location, address):
    # Given a source on the allowed 127.0.0.1 that redirects to a refused address
    httpserver.expect_request("/t").respond_with_data(
        "", status=302, headers={"Location": location.format(port=httpserver.port)}
    )

    # When it is fetched, recording every connection this process makes
    with connections() as made, pytest.raises(SourceError) as err:
        _fetcher().fetch(source(httpserver, "json"))

    # Then the redirect is refused and the only connection was to the allowed server
    assert err.value.reason == "blocked_address" and address in err.value.message
    assert [a[0] for a in made] == ["127.0.0.1"]


def test_loopback_is_refused_without_an_allow_list(httpserver):
    httpserver.expect_request("/t").respond_with_json({"items": []})
    with connections() as made, pytest.raises(SourceError) as err:
        Fetcher(UA).fetch(source(httpserver, "json"))
    assert err.value.reason == "blocked_address" and "loopback" in err.value.message
    assert made == [] and len(httpserver.log) == 0


@pytest.mark.parametrize(
    "answers", [["10.0.0.5"], ["93.184.215.14", "192.168.1.9"], ["fd00:ec2::254"]], ids=["private", "mixed", "imds6"]
)
def test_every_dns_answer_is_checked_before_connecting(answers):
    # Given a public-looking name whose DNS answers include a refused address
    resolver_calls = []

    def resolver(host, port):
        resolver_calls.append((host, port))
        return answers

    src = configured(name="dns", url="https://trends.example.com/t", kind="json", count_scale="posts")
    with connections() as made, pytest.raises(SourceError) as err:
        Fetcher(UA, resolver=resolver).fetch(src)
    assert err.value.reason == "blocked_address"
    assert resolver_calls == [("trends.example.com", 443)] and made == []


@pytest.mark.parametrize("network", ["169.254.0.0/16", "169.254.169.254/32", "0.0.0.0/0", "fe80::/64"])
def test_no_allow_list_can_open_metadata_or_link_local(network):
    with pytest.raises(ValueError, match="never allowed"):
        allowed_networks([network])


def test_slow_headers_are_cut_at_the_deadline():
    # Given a server that sends its status line and headers one byte per 50 ms (10 s in all)
    def handler(conn, _index):
        server.read_request(conn)
        server.trickle(conn, HEAD % 2 + b"{}" + b" " * 120, every_s=0.05)

    with RawServer(handler) as server:
        # When it is fetched with a 0.5 s timeout (each byte arrives well within any per-read timeout)
        with pytest.raises(SourceError) as err:
            _fetcher().fetch(_raw_source(server, timeout_seconds=0.5))
        # Then the fetch gave up on the whole answer and hung up before the server was done
        assert err.value.reason == "timeout" and "0.5s" in err.value.message
        assert server.hung_up.wait(10)


def test_slow_body_is_cut_at_the_deadline():
    body = b'{"items": []}' + b" " * 200

    def handler(conn, _index):
        server.read_request(conn)
        conn.sendall(HEAD % len(body))
        server.trickle(conn, body, every_s=0.05)

    with RawServer(handler) as server:
        with pytest.raises(SourceError) as err:
            _fetcher().fetch(_raw_source(server, timeout_seconds=0.5))
        assert err.value.reason == "timeout"
        assert server.hung_up.wait(10)


def test_the_runs_remaining_time_bounds_the_fetch():
    def handler(conn, _index):
        server.read_request(conn)
        server.trickle(conn, HEAD % 2 + b"{}", every_s=0.05)

    with RawServer(handler) as server:
        # The source allows 30 s, the run only 0.4 s
        with pytest.raises(SourceError) as err:
            _fetcher().fetch(_raw_source(server, timeout_seconds=30), remaining_s=lambda: 0.4)
        assert err.value.reason == "timeout" and "0.4s" in err.value.message
        assert server.hung_up.wait(10)


def test_a_partly_read_answer_is_never_the_next_sources_answer():
    # Given a keep-alive server: the first answer is larger than the cap, then it answers on the same connection
    big = b'{"items": []}' + b" " * 20_000
    small = b'{"items": [{"name": "#mine", "count": 1}]}'

    def handler(conn, index):
        while server.read_request(conn):
            conn.sendall(
                (HEAD % len(big) + big) if index == 0 and len(server.requests) == 1 else HEAD % len(small) + small
            )

    with RawServer(handler) as server:
        fetcher = _fetcher()
        with pytest.raises(SourceError) as err:
            fetcher.fetch(_raw_source(server, max_bytes=4096))
        page = fetcher.fetch(_raw_source(server))

    # Then the first is refused as too large and the second source gets its own answer on a new connection
    assert err.value.reason == "too_large"
    assert page.body == small
    assert server.connections == 2


def test_gzip_bomb_is_refused_without_inflating_it(httpserver):
    bomb = gzip_bomb(64 * 1024 * 1024)
    httpserver.expect_request("/t").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    with pytest.raises(SourceError) as err:
        _fetcher().fetch(source(httpserver, "json", max_bytes=64 * 1024))
    assert err.value.reason == "too_large"


def test_unreachable_source_is_a_source_error():
    src = configured(name="gone", url="http://127.0.0.1:9/t", kind="json", count_scale="posts", timeout_seconds=1)
    with pytest.raises(SourceError) as err:
        _fetcher().fetch(src)
    assert err.value.reason == "unreachable"


def test_requests_to_one_host_are_spaced_by_the_rate_limit(httpserver):
    # Given a fetcher on a fake clock and two sources on the same host, 2 s apart at least
    httpserver.expect_request("/a").respond_with_json({"items": []})
    httpserver.expect_request("/b").respond_with_json({"items": []})
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    fetcher = _fetcher(clock=lambda: now[0], sleep=sleep)
    a = source(httpserver, "json", "/a", name="a", min_interval_seconds=2)
    b = source(httpserver, "json", "/b", name="b", min_interval_seconds=2)

    # When both are fetched 0.5 s apart
    fetcher.fetch(a)
    now[0] += 0.5
    fetcher.fetch(b)

    # Then the second waited the remaining 1.5 s
    assert slept == [pytest.approx(1.5)]
