"""The fault proxies (tools/local/faults.py) on their own: what a client sees of each fault."""

from __future__ import annotations

import socket

import pytest
import urllib3
from pytest_httpserver import HTTPServer

from tools.local.faults import Call, Fault, HttpFaultProxy, TcpFaultProxy, aws, path_endswith


@pytest.fixture
def proxy(httpserver: HTTPServer):
    httpserver.expect_request("/models/chat/completions").respond_with_data("x" * 100, content_type="text/plain")
    p = HttpFaultProxy(httpserver.url_for("/").rstrip("/"), "test")
    yield p
    p.close()


def _get(url: str, timeout: float = 5.0) -> urllib3.BaseHTTPResponse:
    return urllib3.request("POST", url, body=b"{}", retries=False, timeout=timeout)


def test_without_a_fault_the_answer_is_forwarded(proxy: HttpFaultProxy) -> None:
    # Given no fault, When a request goes through the proxy, Then it gets the upstream's answer
    answer = _get(proxy.url + "/models/chat/completions")
    assert (answer.status, answer.data) == (200, b"x" * 100)


def test_a_status_fault_answers_its_status_and_headers_for_its_first_times(proxy: HttpFaultProxy) -> None:
    # Given a 429 with Retry-After for the first request only
    proxy.inject(Fault(path_endswith("/chat/completions"), "status", 429, {"Retry-After": "1"}, times=1))
    # When two requests are made
    first, second = (_get(proxy.url + "/models/chat/completions") for _ in range(2))
    # Then the first gets the fault, the second the real answer
    assert (first.status, first.headers["Retry-After"]) == (429, "1")
    assert second.status == 200


def test_a_cut_answer_has_its_headers_and_half_its_body(proxy: HttpFaultProxy) -> None:
    # Given answers cut mid-body
    proxy.inject(Fault(path_endswith("/chat/completions"), "cut"))
    # When a client reads one, Then the body ends early: the client sees a protocol error
    with pytest.raises(urllib3.exceptions.ProtocolError):
        _get(proxy.url + "/models/chat/completions")


def test_a_hanging_request_gets_no_answer_until_its_client_gives_up(proxy: HttpFaultProxy) -> None:
    # Given requests that hang
    proxy.inject(Fault(path_endswith("/chat/completions"), "hang", delay_s=30))
    # When a client waits 0.5 s, Then it times out (no answer came), and clearing releases the proxy
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        _get(proxy.url + "/models/chat/completions", timeout=0.5)
    proxy.clear()
    assert _get(proxy.url + "/models/chat/completions").status == 200


def test_aws_calls_are_told_apart_by_service_and_operation() -> None:
    # Given an SQS SendMessage (JSON protocol), an SQS ReceiveMessage (query protocol) and a presigned S3 PUT
    auth = {"authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-2/sqs/aws4_request, ..."}
    send = Call("POST", "/", {**auth, "x-amz-target": "AmazonSQS.SendMessage"}, b"{}")
    receive = Call("POST", "/", auth, b"Action=ReceiveMessage&QueueUrl=x")
    put = Call("PUT", "/bucket/key?X-Amz-Credential=local%2F20260101%2Fus-east-2%2Fs3%2Faws4_request", {}, b"")
    # Then the matchers select what they name, and only that
    assert aws("sqs", "SendMessage")(send) and not aws("sqs", "SendMessage")(receive)
    assert aws("sqs", "ReceiveMessage")(receive)
    assert aws("s3", method="PUT")(put) and not aws("s3")(send)


def test_a_tcp_proxy_down_resets_open_and_new_connections_until_up() -> None:
    # Given an echo-less upstream that accepts, and a connection through the proxy
    upstream = socket.create_server(("127.0.0.1", 0))
    proxy = TcpFaultProxy(upstream.getsockname()[:2], "test")
    try:
        client = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        served, _ = upstream.accept()
        client.sendall(b"ping")
        assert served.recv(4) == b"ping"
        # When the proxy goes down, Then the open connection is reset and a new one too
        proxy.down()
        with pytest.raises(OSError):
            client.sendall(b"x" * 100_000)
            client.recv(1) or (_ for _ in ()).throw(ConnectionResetError())
        with pytest.raises(OSError):  # reset at connect, or at the first read
            fresh = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
            fresh.recv(1) or (_ for _ in ()).throw(ConnectionResetError())
        # When it is up again, Then a new connection reaches the upstream
        proxy.up()
        socket.create_connection(("127.0.0.1", proxy.port), timeout=2).sendall(b"pong")
        again, _ = upstream.accept()
        assert again.recv(4) == b"pong"
    finally:
        proxy.close()
        upstream.close()
