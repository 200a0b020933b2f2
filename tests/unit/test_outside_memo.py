"""What queries beyond the sync window remember (bridge/sync/outside_memo.py, issue 17): on a
shared database every process finds the answer and the items by href that another process's
query brought, and a write's adoption takes an item once, in whichever process. Two `Store`
objects on one database stand for two processes."""

from __future__ import annotations

from pathlib import Path

from bridge.model import PhoneEntry
from bridge.store import Store
from bridge.store.rows import ItemDraft, etag_of
from bridge.sync.outside_memo import LocalMemo, SharedMemo, memo_for


def draft(uid: str) -> ItemDraft:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nSUMMARY:Archive — ü\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return ItemDraft(
        uid=uid,
        remote_id=f"remote-{uid}",
        version="v1",
        text=text,
        component="VEVENT",
        start=1052215200,
        end=1052218800,
        members=("a",),
        phones=(PhoneEntry("+49301234567", "301234567", "030 1234567", "work", "A", ""),),
        added='{"k": 1}',
        texts=(("FN", "a"),),
    )


def test_two_processes_share_the_answers_and_take_an_item_once(
    store_target: Path | str,
) -> None:
    a, b = Store(store_target), Store(store_target)
    first, second = SharedMemo(a), SharedMemo(b)
    key = (7, 1052000000, 1052400000)
    assert second.answer(key) is None
    kept = first.keep(key, [draft("old-1"), draft("old-2")])
    assert [r.href for r in kept] == ["old-1.ics", "old-2.ics"]
    assert second.answer(key) == kept  # the other process reuses the answer
    assert kept[0].etag == etag_of(draft("old-1").text) and kept[0].seq == 0
    found = second.recalled(7, ["old-2.ics", "other.ics"])
    assert list(found) == ["old-2.ics"] and found["old-2.ics"] == kept[1]
    assert second.recalled(8, ["old-2.ics"]) == {}  # another collection: nothing
    assert second.take(7, "old-1.ics") == draft("old-1")  # whole, as it was kept
    assert first.take(7, "old-1.ics") is None  # once
    assert first.recalled(7, ["old-1.ics"]) == {}
    a.close()
    b.close()


def test_the_memo_is_shared_only_where_processes_share_the_database(
    store_target: Path | str,
) -> None:
    store = Store(store_target)
    expected = SharedMemo if store.dialect == "postgres" else LocalMemo
    assert isinstance(memo_for(store), expected)
    store.close()


def test_the_local_memo_behaves_alike() -> None:
    memo = LocalMemo()
    key = (7, 1, 2)
    kept = memo.keep(key, [draft("old-1")])
    assert memo.answer(key) == kept
    assert memo.recalled(7, ["old-1.ics"]) == {"old-1.ics": kept[0]}
    assert memo.take(7, "old-1.ics") == draft("old-1")
    assert memo.take(7, "old-1.ics") is None
