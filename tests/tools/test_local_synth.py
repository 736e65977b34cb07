"""tools/local/synth: processes that miss the template cache together synthesize once."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path
from typing import Any

from tools.local import synth


def test_two_callers_that_miss_the_cache_together_synthesize_once(monkeypatch, tmp_path: Path) -> None:
    # Given a cold cache, and a first caller held inside its synth until the second has reached the lock
    monkeypatch.setattr(synth, "CACHE_DIR", tmp_path)
    second_arrived = threading.Event()
    synthesized: list[str] = []
    real_flock = fcntl.flock

    def flock(fd: Any, op: int) -> None:
        if threading.current_thread().name == "second":
            second_arrived.set()
        real_flock(fd, op)

    def synthesize(stage: str) -> dict[str, Any]:
        synthesized.append(threading.current_thread().name)
        if threading.current_thread().name == "first":
            second.start()
            assert second_arrived.wait(30), "the second caller never reached the lock"
        else:
            second_arrived.set()  # without the lock it gets here instead
        return {"Router": {"Resources": {}}}

    monkeypatch.setattr(synth.fcntl, "flock", flock)
    monkeypatch.setattr(synth, "synthesize", synthesize)
    results: dict[str, Any] = {}
    second = threading.Thread(target=lambda: results.__setitem__("second", synth.templates("dev")), name="second")

    # When both ask for the templates
    first = threading.Thread(target=lambda: results.__setitem__("first", synth.templates("dev")), name="first")
    first.start()
    first.join()
    second.join()

    # Then one synth ran, and both got its templates
    assert synthesized == ["first"]
    assert results["first"] == results["second"] == {"Router": {"Resources": {}}}
