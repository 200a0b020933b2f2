"""Failed-login throttling: locks after repeated failures, per key, for a while, escalating."""

from __future__ import annotations

import threading

import pytest

from bridge.errors import TooManyAttempts
from bridge.organisation.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(**kwargs: float) -> tuple[LoginThrottle, Clock]:
    clock = Clock()
    return LoginThrottle(3, 300, 60, clock=clock, **kwargs), clock  # type: ignore[arg-type]


def test_locks_after_max_failures_with_retry_after() -> None:
    throttle, clock = make()
    for _ in range(2):
        throttle.failed("user:alex")
        throttle.check("user:alex")
    throttle.failed("user:alex")
    with pytest.raises(TooManyAttempts) as info:
        throttle.check("user:alex")
    assert info.value.retry_after == 60
    assert info.value.http_status == 429
    assert "Try again in 60 seconds" in info.value.message
    clock.now += 59.5
    with pytest.raises(TooManyAttempts) as info:
        throttle.check("user:alex")
    assert info.value.retry_after == 1
    clock.now += 0.5
    throttle.check("user:alex")


def test_keys_are_independent() -> None:
    throttle, _ = make()
    for _ in range(3):
        throttle.failed("client:10.0.0.1")
    throttle.check("client:10.0.0.2")
    throttle.check("user:alex")
    with pytest.raises(TooManyAttempts):
        throttle.check("client:10.0.0.1")


def test_failures_outside_the_window_do_not_count() -> None:
    throttle, clock = make()
    throttle.failed("k")
    throttle.failed("k")
    clock.now += 301
    throttle.failed("k")
    throttle.check("k")


def test_success_forgets_failures() -> None:
    throttle, _ = make()
    throttle.failed("k")
    throttle.failed("k")
    throttle.succeeded("k")
    throttle.failed("k")
    throttle.failed("k")
    throttle.check("k")


def test_repeated_locks_double_up_to_the_cap() -> None:
    throttle, clock = make(max_lock_s=200)
    waits = []
    for _ in range(4):
        for _ in range(3):
            throttle.failed("k")
        waits.append(throttle.retry_after("k"))
        clock.now += waits[-1]
    assert waits == [60, 120, 200, 200]
    clock.now += 301  # quiet for a window: back to the shortest lock
    for _ in range(3):
        throttle.failed("k")
    assert throttle.retry_after("k") == 60


def test_memory_is_bounded() -> None:
    throttle, _ = make(max_keys=100)
    for i in range(1000):
        for _ in range(3):
            throttle.failed(f"client:{i}")
    assert len(throttle._keys) <= 100
    with pytest.raises(TooManyAttempts):
        throttle.check("client:999")  # the newest locks are kept


def test_thread_safe_counting() -> None:
    throttle = LoginThrottle(400, 300, 60)

    def fail_50() -> None:
        for _ in range(50):
            throttle.failed("k")

    threads = [threading.Thread(target=fail_50) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with pytest.raises(TooManyAttempts):
        throttle.check("k")  # 400 failures counted, none lost
