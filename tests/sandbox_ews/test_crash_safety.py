"""The EWS sandbox survives kill -9: its state is on disk from the start and after every change
(not only at a clean stop), so a restarted sandbox keeps its folder and item ids. A slow-answer
rule (`delay_ms`) lets an operation take effect and holds the reply back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from exchangelib import Account, CalendarItem, EWSDateTime, EWSTimeZone

from sandbox.ews.server import EwsSandbox
from tests.sandbox_ews.conftest import control, make_account


def _resumed(state_dir: Path) -> EwsSandbox:
    """What a restart after kill -9 sees: the state on disk, the running sandbox left as is."""
    return EwsSandbox(state_dir)


def test_fresh_mailbox_is_on_disk_before_any_change(sandbox: EwsSandbox) -> None:
    assert sandbox.state_dir is not None
    again = _resumed(sandbox.state_dir)
    assert set(again.service.store.folders) == set(sandbox.service.store.folders)


def test_every_change_is_on_disk_without_a_clean_stop(
    sandbox: EwsSandbox, account: Account
) -> None:
    assert sandbox.state_dir is not None
    tz = EWSTimeZone("UTC")
    item = CalendarItem(
        folder=account.calendar,
        subject="Durable",
        start=EWSDateTime(2027, 3, 1, 9, tzinfo=tz),
        end=EWSDateTime(2027, 3, 1, 10, tzinfo=tz),
    )
    item.save()  # answered: so it must already be durable
    again = _resumed(sandbox.state_dir)
    assert item.id in again.service.store.items
    fields = {
        "Subject": "From Outlook",
        "Start": "2027-03-01T11:00:00Z",
        "End": "2027-03-01T12:00:00Z",
    }
    control(sandbox, "create", {"folder": "calendar", "fields": fields})  # saved before answering
    subjects = {
        i.data.get("Subject") for i in _resumed(sandbox.state_dir).service.store.items.values()
    }
    assert "From Outlook" in subjects


def test_slow_answer_rule_commits_first_and_answers_late(sandbox: EwsSandbox) -> None:
    assert sandbox.state_dir is not None
    control(sandbox, "fault", {"operation": "CreateItem", "delay_ms": 3000, "times": 1})
    account = make_account(sandbox.info)
    tz = EWSTimeZone("UTC")
    item = CalendarItem(
        folder=account.calendar,
        subject="Held back",
        start=EWSDateTime(2027, 3, 2, 9, tzinfo=tz),
        end=EWSDateTime(2027, 3, 2, 10, tzinfo=tz),
    )
    done = threading.Event()
    worker = threading.Thread(target=lambda: (item.save(), done.set()))
    worker.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stored = _resumed(sandbox.state_dir).service.store.items.values()
        if any(i.data.get("Subject") == "Held back" for i in stored):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the held-back create never took effect")
    assert not done.is_set()  # committed and durable, but not answered yet
    worker.join(30)
    assert done.is_set()
