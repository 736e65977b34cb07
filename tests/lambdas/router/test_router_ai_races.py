"""POST /v1/ai/route's spend guard and cache run concurrently (threads, real PostgreSQL and Redis, the Azure fake).

The model call is held by a gate until every request has either reached it
or been refused, so "everyone checks before anyone pays" happens every run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from router_events import completion

PATH = "/models/chat/completions"
WAIT_S = 30  # only a hang reaches it


class HeldClient:
    """The real Azure client, each chat held until `open()`; counts the calls that got there."""

    def __init__(self) -> None:
        from common import azure_ai

        self._real = azure_ai.get_client()
        self.arrived = 0
        self._lock = threading.Lock()
        self._go = threading.Event()

    def chat(self, **kwargs: Any) -> Any:
        with self._lock:
            self.arrived += 1
        assert self._go.wait(WAIT_S)
        return self._real.chat(**kwargs)

    def open(self) -> None:
        self._go.set()


def wait_until(done: Callable[[], bool], out: list[Any]) -> None:
    """Until `done()`; a failure, not a hang, if the code under test never gets there."""
    for _ in range(WAIT_S * 100):
        if done():
            return
        time.sleep(0.01)
    raise AssertionError(f"the threads never reached the expected state: {out}")


def run_all(count: int, target: Callable[[int], Any]) -> list[Any]:
    out: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            out[i] = target(i)
        except Exception as exc:  # handed back to the test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    return [threads, out]


def _route(req: Any, caller: str, client: HeldClient, cache: Any = None) -> Any:
    from common import db
    from common.settings import ai_budget_settings
    from common.spend_guard import Spender, SpendGuard
    from router import ai
    from router.cache import get_cache
    from router.settings import router_settings

    settings = router_settings()
    return ai.route_prompt(
        req,
        caller=caller,
        settings=settings,
        client=lambda: client,
        cache=cache or (lambda: get_cache(settings.cache_ttl_s)),
        guard=SpendGuard(db.connection, Spender(caller, "ai_route"), ai_budget_settings()),
        budget_s=10.0,
    )


def _committed(db_conn) -> dict:
    db_conn.rollback()
    return db_conn.execute(
        "SELECT spent, reserved FROM ai_spend WHERE scope = 'global' AND day = (now() AT TIME ZONE 'UTC')::date"
    ).fetchone()


def test_concurrent_requests_cannot_overshoot_the_daily_budget(
    router_env, threaded_db, db_conn, httpserver, monkeypatch
):
    from common import ai_prices
    from common import settings as common_settings
    from router import ai
    from router.errors import ApiError

    # Given a $1 day with room left for exactly three requests' worst case (DeepSeek-V3, max_tokens 1000)
    monkeypatch.setenv("AI_DAILY_BUDGET_USD", "1")
    common_settings.reset()
    req = ai.AiRequest("p", "generation", max_tokens=1000)
    most = ai_prices.prices().price("DeepSeek-V3").worst_case(ai.prompt_token_bound(req), 0, 1000)
    assert most == 4580  # (16 + 1) x 1.14 + 1000 x 4.56, rounded up
    budget = 1_000_000
    already = budget - 3 * most - most // 2  # three fit, a fourth does not
    db_conn.execute(
        "INSERT INTO ai_spend (day, scope, spent) VALUES ((now() AT TIME ZONE 'UTC')::date, 'global', %s)", (already,)
    )
    db_conn.commit()
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        completion("DeepSeek-V3", "ok", prompt_tokens=10, completion_tokens=990)
    )
    client = HeldClient()
    # When twenty callers ask at once, and no model call returns before every request was admitted or refused
    threads, out = run_all(20, lambda i: _route(req, f"user-{i}", client))
    refused = lambda: sum(isinstance(o, ApiError) for o in out)  # noqa: E731
    wait_until(lambda: client.arrived + refused() >= 20, out)
    client.open()
    for t in threads:
        t.join(WAIT_S)
    # Then three are answered and seventeen get 429 until midnight
    answered = [o for o in out if isinstance(o, tuple)]
    assert len(answered) == 3 and client.arrived == 3
    errors = [o for o in out if isinstance(o, ApiError)]
    assert {(e.status, e.body()["error"]) for e in errors} == {(429, "daily_budget_exceeded")}
    assert all(0 < int(e.headers["Retry-After"]) <= 86_400 for e in errors)
    # And the day's spending is what the three cost (10 x 1.14 + 990 x 4.56 = 4525.8, rounded up), nothing is
    # left held, and the budget holds: the overshoot is at most one reservation (here none at all)
    one_call = 4526
    assert _committed(db_conn) == {"spent": already + 3 * one_call, "reserved": 0}
    assert already + 3 * one_call <= budget < already + 3 * one_call + most


def test_identical_deterministic_requests_share_one_model_call_and_reveal_nothing(
    router_env, threaded_db, db_conn, httpserver, redis_url
):
    import redis

    from router import ai
    from router.cache import ResponseCache

    # Given a cache whose waiters are counted, and the first model call held until the others wait for it
    httpserver.expect_request(PATH, method="POST").respond_with_json(completion("DeepSeek-V3", "shared answer"))
    client = HeldClient()
    waiting: set[str] = set()
    lock = threading.Lock()

    def sleep(_seconds: float) -> None:
        with lock:
            waiting.add(threading.current_thread().name)
        threading.Event().wait(0.005)

    cache = ResponseCache(lambda: redis.Redis.from_url(redis_url, decode_responses=True), ttl_s=60, sleep=sleep)
    req = ai.AiRequest("What is the capital of France?", "generation", temperature=0)
    # When five callers send the same temperature-0 request at once
    threads, out = run_all(5, lambda i: _route(req, f"user-{i}", client, cache=lambda: cache))
    wait_until(lambda: (len(waiting) >= 4 and client.arrived >= 1) or client.arrived >= 5, out)
    client.open()
    for t in threads:
        t.join(WAIT_S)
    # Then Azure is asked once and everyone gets its answer
    assert len(httpserver.log) == 1 and client.arrived == 1
    assert [answer["output"] for answer, _ in out] == ["shared answer"] * 5
    # And nobody is told it was a hit: none of them had asked before
    assert [from_cache for _, from_cache in out] == [False] * 5
    # When one of them asks again, it (only) learns that its own question was cached
    again, from_cache = _route(req, "user-3", client, cache=lambda: cache)
    assert again["output"] == "shared answer" and from_cache is True
    assert len(httpserver.log) == 1
    # And the spend counts the one call: 11 x 1.14 + 7 x 4.56 = 44.46 micro-dollars, rounded up
    assert _committed(db_conn)["spent"] == 45


def test_a_caller_over_its_daily_budget_gets_429_until_midnight_and_others_go_on(
    call, router_env, httpserver, monkeypatch, db_conn
):
    from common import settings

    # Given each caller may spend $0.012 a day (12000 micro-dollars), a stage day of $1, and answers that cost 4526
    monkeypatch.setenv("AI_CALLER_DAILY_BUDGET_USD", "0.012")
    monkeypatch.setenv("AI_DAILY_BUDGET_USD", "1")
    settings.reset()
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        completion("DeepSeek-V3", "ok", prompt_tokens=10, completion_tokens=990)
    )
    request = {"prompt": "hi", "type": "generation", "max_tokens": 1000}
    mine = {"sub": "greedy"}
    # When one caller asks three times (each reserves its worst case, 4581)
    answers = [call("POST", "/v1/ai/route", request, claims=mine) for _ in range(3)]
    # Then the third is refused with its budget named and a Retry-After at the next midnight
    assert [a.status for a in answers] == [200, 200, 429]
    assert answers[2].body["error"] == "caller_budget_exceeded"
    assert "your daily AI budget of $0.012 " in answers[2].body["detail"]
    assert "(up to $0.004581; $0.009052 committed)" in answers[2].body["detail"]
    assert 0 < int(answers[2].headers["Retry-After"]) <= 86_400
    # And another caller is still served
    assert call("POST", "/v1/ai/route", request, claims={"sub": "someone-else"}).status == 200
    # And each call is recorded with its caller, task, model, usage and cost
    calls = db_conn.execute(
        "SELECT caller, task, model, prompt_tokens, completion_tokens, cost_micro_usd FROM ai_calls ORDER BY id"
    ).fetchall()
    assert calls == [
        {
            "caller": who,
            "task": "ai_route",
            "model": "DeepSeek-V3",
            "prompt_tokens": 10,
            "completion_tokens": 990,
            "cost_micro_usd": 4526,
        }
        for who in ("greedy", "greedy", "someone-else")
    ]


def test_a_reservation_is_charged_to_the_day_it_was_taken_in(db_conn):
    from common import ai_spend

    # Given a reservation taken just before midnight (moved to yesterday)
    reservation = ai_spend.reserve(db_conn, [ai_spend.Budget("global", 10_000)], 1_000)
    db_conn.execute("UPDATE ai_spend SET day = day - 1")
    db_conn.execute("UPDATE ai_spend_reservations SET day = day - 1")
    db_conn.commit()
    yesterday = db_conn.execute("SELECT day FROM ai_spend_reservations").fetchone()["day"]
    moved = ai_spend.Reservation(reservation.id, yesterday, reservation.amount)
    call = ai_spend.Call("u", "ai_route", "DeepSeek-V3", 200, 500, 0, 0, 700)
    # When it is settled after midnight
    assert ai_spend.settle(db_conn, moved, call) is True
    db_conn.commit()
    # Then yesterday is charged the real cost, today nothing, and a second settle changes nothing
    rows = db_conn.execute("SELECT day, spent, reserved FROM ai_spend").fetchall()
    assert rows == [{"day": yesterday, "spent": 700, "reserved": 0}]
    usage = db_conn.execute("SELECT day, prompt_tokens, completion_tokens FROM ai_usage_daily").fetchall()
    assert usage == [{"day": yesterday, "prompt_tokens": 200, "completion_tokens": 500}]
    assert db_conn.execute("SELECT day, cost_micro_usd FROM ai_calls").fetchall() == [
        {"day": yesterday, "cost_micro_usd": 700}
    ]
    assert ai_spend.settle(db_conn, moved, call) is False
    assert db_conn.execute("SELECT count(*) AS n FROM ai_calls").fetchone()["n"] == 1


def test_a_failed_settle_is_kept_and_written_before_the_next_request(database_env, db_conn):
    from common import db, spend_guard
    from common.azure_responses import Usage
    from common.errors import TransientError
    from common.settings import AiBudgetSettings

    spend_guard.reset()
    down = {"on": False}

    def connection() -> Any:
        if down["on"]:
            raise TransientError("db_connection_lost", "database away")
        return db.connection()

    guard = spend_guard.SpendGuard(
        connection,
        spend_guard.Spender("u", "ai_route"),
        AiBudgetSettings(daily=1_000_000, caller_daily=1_000_000, monthly=1_000_000),
        metric=lambda _m, _usd: None,
        sleep=lambda _s: None,
    )
    # Given a request whose settle finds the database away every time (worst case 100 x 1.14 + 1000 x 4.56)
    reservation = guard.reserve("DeepSeek-V3", 100, 0, 1000)
    down["on"] = True
    guard.settle(reservation, "DeepSeek-V3", Usage(90, 310, 400), 0)
    db_conn.rollback()
    assert db_conn.execute("SELECT spent, reserved FROM ai_spend WHERE scope = 'global'").fetchone() == {
        "spent": 0,
        "reserved": 4674,
    }
    # When the database is back and the next request reserves
    down["on"] = False
    guard.reserve("DeepSeek-V3", 100, 0, 1000)
    # Then the earlier usage is settled first (90 x 1.14 + 310 x 4.56 = 1516.2 -> 1517 spent, its hold released)
    db_conn.rollback()
    assert db_conn.execute("SELECT spent, reserved FROM ai_spend WHERE scope = 'global'").fetchone() == {
        "spent": 1517,
        "reserved": 4674,
    }
    spend_guard.reset()


def test_a_hit_on_another_callers_question_is_reported_as_a_miss(call, router_env, httpserver):
    # Given one caller's temperature-0 question is in the shared cache
    httpserver.expect_request(PATH, method="POST").respond_with_json(completion("DeepSeek-V3", "cached answer"))
    request = {"prompt": "Is my account flagged?", "type": "generation", "temperature": 0}
    assert call("POST", "/v1/ai/route", request, claims={"sub": "alice"}).headers["X-Cache"] == "miss"
    # When another caller asks the same
    bob = call("POST", "/v1/ai/route", request, claims={"sub": "bob"})
    # Then it is answered from the cache without telling bob that someone asked it before
    assert bob.status == 200 and bob.body["output"] == "cached answer"
    assert (bob.headers["X-Cache"], bob.body["cached"]) == ("miss", False)
    assert len(httpserver.log) == 1
    # And alice, asking again, is told hers was cached
    assert call("POST", "/v1/ai/route", request, claims={"sub": "alice"}).headers["X-Cache"] == "hit"
