"""One rule's state machine: a reading in, the next state and what to tell out. No I/O.

States: ``ok``, ``pending`` (breaching, not yet ``breaches`` of the last
``evaluations``), ``firing``, ``no_data`` (nothing to judge), ``error`` (the
rule cannot be evaluated). ``since`` is when the state was entered.

What is told (an event kind), on the wall clock ``now``:

* ``firing``   entering firing (or, once a silence ends, a firing episode never told);
* ``reminder`` still firing ``repeat_interval`` after the last message of the episode;
* ``resolved`` leaving firing, always, when the episode was told: never held back;
* ``error``    entering error.

A firing rule whose condition clears stays firing ``keep_firing`` longer
(a breach in between continues the same episode): with the pending period
this is what damps flapping. No data neither fires nor resolves a firing
rule: the last judgement stands until there is data again. A rule reading
the same complete rollup window twice (runs every 5 minutes, buckets every
hour) counts that window once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from cron.alert_rules import Reading


@dataclass(frozen=True)
class Policy:
    breaches: int
    evaluations: int
    repeat_interval: timedelta
    keep_firing: timedelta


@dataclass(frozen=True)
class State:
    state: str
    since: datetime
    recent: tuple[bool, ...] = ()
    window_end: datetime | None = None
    firing_since: datetime | None = None
    clear_since: datetime | None = None
    notified_at: datetime | None = None
    value: Decimal | None = None
    message: str = ""


def initial(now: datetime) -> State:
    return State("ok", now)


def step(
    prev: State, reading: Reading | None, error: str | None, policy: Policy, *, now: datetime, muted: bool
) -> tuple[State, str | None]:
    """The next state and the event to record (None: nothing to tell).

    ``reading`` is None when ``error`` says why the rule could not be read.
    ``muted``: a silence covers the rule now (RESOLVED of a told episode still goes out).
    """
    if reading is None:
        nxt = _enter(prev, "error", now, message=error or "cannot be evaluated", value=None)
        return nxt, ("error" if prev.state != "error" and not muted else None)
    base = replace(prev, value=reading.value, message=reading.message)
    if reading.breach is None:
        if prev.firing_since is not None:
            return _enter(base, "firing", now), None
        return _enter(base, "no_data", now), None

    recent = prev.recent
    if reading.window_end is None or reading.window_end != prev.window_end:
        recent = (*prev.recent, reading.breach)[-policy.evaluations :]
    base = replace(base, recent=recent, window_end=reading.window_end or prev.window_end)

    if prev.firing_since is not None:
        return _while_firing(base, reading.breach, policy, now=now, muted=muted)
    if sum(recent) >= policy.breaches:
        fired = replace(_enter(base, "firing", now), firing_since=now, clear_since=None)
        if muted:
            return fired, None
        return replace(fired, notified_at=now), "firing"
    return _enter(base, "pending" if any(recent) else "ok", now), None


def _while_firing(s: State, breach: bool, policy: Policy, *, now: datetime, muted: bool) -> tuple[State, str | None]:
    if not breach:
        clear_since = s.clear_since or now
        if now - clear_since < policy.keep_firing:
            return replace(_enter(s, "firing", now), clear_since=clear_since), None
        told = s.notified_at is not None
        resolved = replace(_enter(s, "ok", now), recent=(), firing_since=None, clear_since=None, notified_at=None)
        return resolved, ("resolved" if told else None)
    s = replace(_enter(s, "firing", now), clear_since=None)
    if muted:
        return s, None
    if s.notified_at is None:
        return replace(s, notified_at=now), "firing"  # began under a silence that has ended
    if now - s.notified_at >= policy.repeat_interval:
        return replace(s, notified_at=now), "reminder"
    return s, None


def _enter(s: State, state: str, now: datetime, **changes: object) -> State:
    since = s.since if s.state == state else now
    return replace(s, state=state, since=since, **changes)  # type: ignore[arg-type]
