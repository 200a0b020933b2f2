"""No process-local state (issue 17, point 2): what one bridge process keeps for the next
request is found by any other on the same database — the portal's flows in flight and notices,
login-throttle counts and locks, the revocation of an app password — and the shared entries
behave alike on SQLite and PostgreSQL. Two `Bridge` objects on one database stand for two
processes (the end-to-end tests in tests/e2e/test_scale_out.py run real ones)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import api
from bridge.accounts.consent import PendingConsent
from bridge.api import Bridge
from bridge.errors import TooManyAttempts
from bridge.model import ProviderKind
from bridge.settings import Settings
from bridge.store import Store


@pytest.fixture
def store(store_target: Path | str) -> Iterator[Store]:
    s = Store(store_target)
    yield s
    s.close()


def test_an_entry_is_popped_once_and_an_expired_one_never(store_target: Path | str) -> None:
    a, b = Store(store_target), Store(store_target)
    a.put_shared("flow", "s1", "value", 600)
    assert b.get_shared("flow", "s1") == "value"
    assert b.pop_shared("flow", "s1") == "value"
    assert a.pop_shared("flow", "s1") is None  # once
    a.put_shared("flow", "s2", "stale", 0)  # expired as it is written
    assert b.get_shared("flow", "s2") is None and b.pop_shared("flow", "s2") is None
    a.close()
    b.close()


def test_prefix_pop_returns_in_key_order_and_only_the_prefix(store: Store) -> None:
    for key in ("k\x1f2", "k\x1f1", "kx\x1f1", "j\x1f1"):
        store.put_shared("notice", key, key, 600)
    assert store.pop_shared_prefix("notice", "k\x1f") == ["k\x1f1", "k\x1f2"]
    assert store.pop_shared_prefix("notice", "k\x1f") == []
    assert store.get_shared("notice", "kx\x1f1") == "kx\x1f1"


def test_read_modify_write_and_generations(store: Store) -> None:
    assert store.generation("g") == 0
    assert store.bump_generation("g") == 1
    assert store.bump_generation("g") == 2 and store.generation("g") == 2
    assert store.update_shared("c", "k", lambda old: (old or "") + "x", 600) == "x"
    assert store.update_shared("c", "k", lambda old: (old or "") + "y", 600) == "xy"
    assert store.update_shared("c", "k", lambda old: None, 600) is None
    assert store.get_shared("c", "k") is None


@pytest.fixture
def two_processes(tmp_path: Path, pg_cluster: object) -> Iterator[tuple[Bridge, Bridge]]:
    from tests.pg_server import fresh_database

    url = fresh_database(pg_cluster)  # type: ignore[arg-type]
    settings = Settings().replace("store", data_dir=str(tmp_path / "data"), url=url)
    first, second = Bridge(settings), Bridge(settings)
    yield first, second
    first.close()
    second.close()
    api.install(None)


def test_a_flow_started_in_one_process_completes_in_the_other(
    two_processes: tuple[Bridge, Bridge],
) -> None:
    a, b = two_processes
    pending = PendingConsent(7, ProviderKind.GOOGLE, ("s1",), {"state": "st", "code_verifier": "v"})
    a.stash("session-1", "st", "connect", pending, 600)
    assert b.unstash("session-2", "st", "connect") is None  # another browser: nothing
    assert b.unstash("session-1", "st", "signin:google") is None  # another kind: nothing
    a.stash("session-1", "st", "connect", pending, 600)
    assert b.unstash("session-1", "st", "connect") == pending
    assert a.unstash("session-1", "st", "connect") is None  # once
    assert a.store.get_shared("flow", "session-1\x1fst") is None  # gone with the pop
    a.stash("session-1", "st", "connect", pending, 600)
    sealed = a.store.get_shared("flow", "session-1\x1fst") or ""
    assert sealed  # kept sealed: the verifier is not readable from the database
    assert b"code_verifier" not in base64.b64decode(sealed)


def test_notices_added_in_one_process_are_shown_once_by_the_other(
    two_processes: tuple[Bridge, Bridge],
) -> None:
    a, b = two_processes
    a.add_notice("session-1", "Connected Google: read calendars", 600)
    a.add_notice("session-1", "Second", 600)
    assert b.take_notices("session-2") == []
    assert b.take_notices("session-1") == ["Connected Google: read calendars", "Second"]
    assert a.take_notices("session-1") == []


def test_failed_logins_count_across_processes_and_lock_in_both(
    two_processes: tuple[Bridge, Bridge],
) -> None:
    a, b = two_processes
    for n in range(5):  # five distinct wrong passwords, alternating processes
        bridge = a if n % 2 else b
        assert not bridge.check_login("alex", f"wrong-{n}", "192.0.2.1").ok
    assert a.dav_logins.throttle.retry_after("dav-user:alex") > 0
    with pytest.raises(TooManyAttempts):
        b.dav_logins.throttle.check("dav-user:alex")
    refused = a.check_login("alex", "wrong-again", "192.0.2.1")
    assert not refused.ok and refused.retry_after > 0  # 429 with Retry-After in both


def test_an_app_password_revoked_in_one_process_stops_working_in_the_other(
    two_processes: tuple[Bridge, Bridge],
) -> None:
    a, b = two_processes
    user = a.ensure_user("alex")
    password = a.new_app_password(user, "phone")
    assert b.check_login("alex", password, "192.0.2.9").ok  # now in b's login cache
    (pid, *_), *_ = a.list_app_passwords("alex")
    a.revoke_app_password("alex", pid)
    assert not b.check_login("alex", password, "192.0.2.9").ok


def test_turns_are_spaced_and_shared_by_every_process(store_target: Path | str) -> None:
    """Login pacing's turns (issue 17): one per `spacing` per key in all processes together,
    at most one waiting; a turn of two keys waits for the later of them."""
    a, b = Store(store_target), Store(store_target)
    assert a.reserve_turn("pace", ["k"], 1.0, now=100.0) == 0.0  # at once
    assert b.reserve_turn("pace", ["k"], 1.0, now=100.0) == 1.0  # the other process waits
    assert a.reserve_turn("pace", ["k"], 1.0, now=100.5) is None  # one waits already: 429
    assert b.reserve_turn("pace", ["k"], 1.0, now=101.5) == 0.5  # the next one after 101
    assert a.reserve_turn("pace", ["j"], 1.0, now=101.5) == 0.0  # another key is free
    assert b.reserve_turn("pace", ["j", "k"], 1.0, now=101.6) is None  # k's next one is taken
    assert b.reserve_turn("pace", ["j", "k"], 1.0, now=102.2) == pytest.approx(0.8)  # at 103
    assert a.reserve_turn("pace", ["j"], 1.0, now=102.3) is None  # j's next turn is taken
    assert a.reserve_turn("pace", ["k"], 1.0, now=500.0) == 0.0  # long after: at once
    a.close()
    b.close()


def test_a_locked_user_is_paced_once_across_processes(
    two_processes: tuple[Bridge, Bridge],
) -> None:
    """While a user name is locked, its credential checks are paced one per second in all
    processes together: the second process's check waits for the first's turn to pass, a
    third while one waits is refused (429), and a correct password still passes on its turn."""
    from bridge.organisation.dav_logins import DavLogins
    from bridge.organisation.throttle_shared import SharedLoginThrottle, SharedPacing

    now = [1_000_000.0]
    waits: list[float] = []

    def logins(bridge: Bridge) -> DavLogins:
        return DavLogins(
            lambda user, password: password == "right",
            SharedLoginThrottle(bridge.store, "throttle:dav"),
            pacing=SharedPacing(bridge.store, "pace:dav", clock=lambda: now[0]),
            sleep=waits.append,
        )

    a, b = (logins(bridge) for bridge in two_processes)
    for n in range(5):  # five distinct wrong passwords: the user name is locked
        assert not (a if n % 2 else b).check("alex", f"wrong-{n}", "").ok
    assert a.throttle.retry_after("dav-user:alex") > 0
    assert not a.check("alex", "wrong-5", "").ok and waits == []  # its turn: at once
    assert b.check("alex", "right", "").ok and waits == [1.0]  # waits for a's turn to pass
    refused = a.check("alex", "right", "")  # b's turn is taken, none left in this second
    assert not refused.ok and refused.retry_after > 0 and waits == [1.0]
    now[0] += 5.0
    assert a.check("alex", "right", "").ok and waits == [1.0]  # later: at once
