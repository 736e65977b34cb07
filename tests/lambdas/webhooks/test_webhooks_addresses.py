"""Endpoints must be https and public: private, link-local and loopback addresses are refused before connecting."""

from __future__ import annotations

import functools

import pytest
from conftest import SECRET, attempts, settings_for

from common.completion import Completion
from webhooks import sender

pytestmark = pytest.mark.pg


def _notify(completion, settings, resolver=None):
    from common import db
    from webhooks import notifier

    post = functools.partial(sender.post, resolver=resolver) if resolver else sender.post
    return notifier.notify(
        completion, receive_count=1, settings=settings, connect=db.connection, secret_for=lambda e: SECRET, post=post
    )


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        (["10.0.0.5"], "10.0.0.5 (private address)"),
        (["192.168.1.20"], "192.168.1.20 (private address)"),
        (["169.254.169.254"], "169.254.169.254 (link-local or metadata address)"),
        (["127.0.0.1"], "127.0.0.1 (loopback address)"),
        (["::1"], "::1 (loopback address)"),
        (["fd00::1"], "fd00::1 (private address)"),
        (["::ffff:10.1.2.3"], "::ffff:a01:203 (private address)"),  # 10.1.2.3, IPv4-mapped
        # One public answer does not excuse a private one: a second lookup could connect to it.
        (["93.184.216.34", "10.0.0.7"], "10.0.0.7 (private address)"),
    ],
)
def test_a_host_resolving_to_a_non_public_address_is_refused_naming_it(
    database_env, db_conn, finished_job, answers, named
):
    looked_up = []

    def resolver(host, port):
        looked_up.append((host, port))
        return answers

    settings = settings_for("https://hooks.example.com/in", require_https=True, allowed_networks=())
    delay = _notify(Completion.of(finished_job), settings, resolver)
    (row,) = attempts(db_conn, finished_job.id)
    assert delay == 5
    assert looked_up == [("hooks.example.com", 443)]
    assert row["status_code"] is None
    assert "addresses tried" in row["error"] and named in row["error"]


def test_a_loopback_receiver_is_refused_unless_allowed_and_nothing_reaches_it(
    database_env, db_conn, finished_job, httpserver
):
    httpserver.expect_request("/hooks").respond_with_data("ok")
    deployed = settings_for(httpserver.url_for("/hooks"), allowed_networks=())
    assert _notify(Completion.of(finished_job), deployed) == 5
    assert httpserver.log == []
    assert "127.0.0.1 (loopback address)" in attempts(db_conn, finished_job.id)[0]["error"]
    # The local system allows its loopback receiver: the retry then arrives
    assert _notify(Completion.of(finished_job), settings_for(httpserver.url_for("/hooks"))) is None
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("url", ["http://hooks.example.com/in", "ftp://hooks.example.com/in", "hooks.example.com/in"])
def test_an_endpoint_that_is_not_https_is_refused_before_any_lookup(database_env, db_conn, finished_job, url):
    def resolver(host, port):
        raise AssertionError("no lookup for a refused scheme")

    settings = settings_for(url, require_https=True, allowed_networks=())
    assert _notify(Completion.of(finished_job), settings, resolver) == 5
    assert "endpoints must be https" in attempts(db_conn, finished_job.id)[0]["error"]
