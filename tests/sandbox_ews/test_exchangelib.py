"""exchangelib 5.6 against the EWS sandbox: what the bridge's EWS provider relies on."""

from __future__ import annotations

import datetime as dt

import pytest
from exchangelib import NTLM, Account, CalendarItem, EWSDateTime, EWSTimeZone
from exchangelib.errors import (
    ErrorInvalidSyncStateData,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    RateLimitError,
    UnauthorizedError,
)
from exchangelib.items import SEND_TO_NONE

from sandbox.ews.server import EwsSandbox
from tests.sandbox_ews.conftest import control, make_account

UTC = EWSTimeZone("UTC")


def now() -> EWSDateTime:
    return EWSDateTime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize("auth", ["basic", NTLM])
def test_calendar_folder_and_subfolders(sandbox: EwsSandbox, auth: str) -> None:
    account = make_account(sandbox.info, auth)
    cal = account.calendar
    assert cal.name == "Calendar"
    assert cal.total_count > 100
    children = {f.name: f for f in cal.children}
    assert children["Projects"].folder_class == "IPF.Appointment"
    assert children["Projects"].total_count > 0
    assert sandbox.request_count("GetFolder") >= 1


def test_calendar_view_expands_series_without_masters(account: Account) -> None:
    start = now() - dt.timedelta(days=60)
    items = list(account.calendar.view(start=start, end=start + dt.timedelta(days=120)))
    kinds = {i.type for i in items}
    assert "RecurringMaster" not in kinds
    assert {"Single", "Occurrence", "Exception"} <= kinds
    weekly = [i for i in items if i.subject and i.subject.startswith("Weekly sync")]
    assert any(i.type == "Exception" and "moved" in i.subject for i in weekly)
    for i in items:
        assert i.end > start and i.start < start + dt.timedelta(days=120) or i.is_all_day


def test_all_only_pages_through_every_item(sandbox: EwsSandbox, account: Account) -> None:
    qs = account.calendar.all().only("subject", "start", "end", "is_all_day")
    qs.page_size = 40
    items = list(qs)
    assert len(items) == account.calendar.total_count
    subjects = {i.subject for i in items}
    assert {"Design review", "Weekly sync"} <= subjects
    assert sandbox.request_count("FindItem") >= 4  # 40 per page


def test_recurring_master_lists_modified_and_deleted_occurrences(account: Account) -> None:
    master = account.calendar.get(subject="Weekly sync")
    assert master.type == "RecurringMaster"
    assert master.recurrence is not None
    assert len(master.modified_occurrences) == 1
    assert len(master.deleted_occurrences) == 1
    assert master._start_timezone.key == "Europe/Berlin"
    moved = account.calendar.get(id=master.modified_occurrences[0].id)
    assert moved.type == "Exception" and "moved" in moved.subject


def test_sync_items_rounds(sandbox: EwsSandbox, account: Account) -> None:
    cal = account.calendar
    first = list(cal.sync_items(max_changes_returned=100))
    assert len(first) == cal.total_count
    assert all(kind == "create" for kind, _ in first)
    assert not any(i.type == "Occurrence" for _, i in first)
    state = cal.item_sync_state
    assert list(cal.sync_items(sync_state=state)) == []

    start = (now() + dt.timedelta(days=3)).isoformat()
    created = control(
        sandbox,
        "create",
        {
            "fields": {
                "Subject": "From Outlook",
                "Start": start,
                "End": (now() + dt.timedelta(days=3, hours=1)).isoformat(),
            }
        },
    )
    victim = next(i for _, i in first if i.subject == "Design review")
    control(sandbox, "update", {"id": victim.id, "fields": {"Subject": "Design review v2"}})
    control(sandbox, "update", {"id": victim.id, "fields": {"Location": "Room 2"}})
    gone = next(i for _, i in first if i.subject == "Docs review")
    control(sandbox, "delete", {"id": gone.id})
    changes = list(cal.sync_items(sync_state=state))
    by_kind = {(kind, getattr(i, "id", None)) for kind, i in changes}
    assert ("create", created["id"]) in by_kind
    assert ("update", victim.id) in by_kind
    assert len([c for c in changes if c[0] == "update"]) == 1  # two writes collapse into one
    assert ("delete", gone.id) in by_kind
    updated = next(i for k, i in changes if k == "update")
    assert updated.subject == "Design review v2" and updated.location == "Room 2"

    control(sandbox, "invalidate-sync-states", {})
    with pytest.raises(ErrorInvalidSyncStateData):
        list(cal.sync_items(sync_state=cal.item_sync_state))
    with pytest.raises(ErrorInvalidSyncStateData):
        list(cal.sync_items(sync_state="bm90IGEgc3RhdGU="))


def test_sync_items_pages_with_includes_last_item_in_range(account: Account) -> None:
    cal = account.calendar
    seen = [i.id for _, i in cal.sync_items(max_changes_returned=7)]
    assert len(seen) == len(set(seen)) == cal.total_count


def test_create_update_conflict_delete(sandbox: EwsSandbox, account: Account) -> None:
    tz = EWSTimeZone("Europe/Berlin")
    start = EWSDateTime(2031, 3, 28, 9, 0, tzinfo=tz)  # the week of the DST change
    item = CalendarItem(
        account=account,
        folder=account.calendar,
        subject="Planning",
        start=start,
        end=start + dt.timedelta(hours=1),
        location="Room 1",
    )
    item.save(send_meeting_invitations=SEND_TO_NONE)
    first_key = item.changekey
    fetched = account.calendar.get(id=item.id)
    assert fetched.start == start and fetched._start_timezone.key == "Europe/Berlin"
    assert fetched.uid

    stale = account.calendar.get(id=item.id)
    item.subject = "Planning (moved)"
    item.save(update_fields=["subject"], send_meeting_invitations=SEND_TO_NONE)
    assert item.changekey != first_key
    stale.subject = "Lost update"
    with pytest.raises(ErrorIrresolvableConflict):
        stale.save(
            update_fields=["subject"],
            conflict_resolution="NeverOverwrite",
            send_meeting_invitations=SEND_TO_NONE,
        )
    assert account.calendar.get(id=item.id).subject == "Planning (moved)"

    item_id = item.id
    item.delete(send_meeting_cancellations=SEND_TO_NONE)
    with pytest.raises(ErrorItemNotFound):
        account.calendar.get(id=item_id)


def test_occurrence_edit_and_delete_make_exceptions(account: Account) -> None:
    master = account.calendar.get(subject="Daily standup")
    before = len(master.modified_occurrences or [])
    occ = master.occurrence(index=3)
    occ.refresh()
    assert occ.type == "Occurrence"
    occ.subject = "Standup (demo day)"
    occ.save(update_fields=["subject"], send_meeting_invitations=SEND_TO_NONE)
    master.occurrence(index=5).delete(send_meeting_cancellations=SEND_TO_NONE)
    master = account.calendar.get(subject="Daily standup")
    assert len(master.modified_occurrences) == before + 1
    starts = {o.start for o in master.deleted_occurrences}
    assert len(starts) >= 1


def test_server_busy_is_backed_off(sandbox: EwsSandbox, account: Account) -> None:
    cal = account.calendar
    control(
        sandbox,
        "fault",
        {"operation": "FindItem", "code": "ErrorServerBusy", "back_off_ms": 300, "times": 1},
    )
    assert len(list(cal.all().only("subject")[:5])) == 5
    assert sandbox.request_count("FindItem") == 2
    control(sandbox, "fault", {"operation": "FindItem", "back_off_ms": 60_000, "times": 1})
    with pytest.raises(RateLimitError):
        list(cal.all().only("subject")[:5])


@pytest.mark.parametrize("auth", ["basic", NTLM])
def test_wrong_password_and_password_change(sandbox: EwsSandbox, auth: str) -> None:
    with pytest.raises(UnauthorizedError):
        make_account(sandbox.info, auth, password="wrong", max_wait=None).calendar.refresh()
    control(sandbox, "password", {"password": "N3w-secret"})
    with pytest.raises(UnauthorizedError):
        make_account(sandbox.info, auth, max_wait=None).calendar.refresh()
    renewed = make_account(sandbox.info, auth, password="N3w-secret", max_wait=None)
    assert renewed.calendar.name == "Calendar"


def test_resolve_names(account: Account) -> None:
    found = account.protocol.resolve_names(["megan"])
    assert [m.email_address for m in found] == ["megan@contoso.example"]


def test_state_survives_restart(sandbox: EwsSandbox, account: Account) -> None:
    cal = account.calendar
    list(cal.sync_items())
    state = cal.item_sync_state
    master = cal.get(subject="Weekly sync")
    port = sandbox.port
    sandbox.stop()
    again = EwsSandbox(sandbox.state_dir)
    again.start()
    try:
        assert again.port == port
        account2 = make_account(again.info)
        same = account2.calendar.get(id=master.id)
        assert same.changekey == master.changekey
        assert list(account2.calendar.sync_items(sync_state=state)) == []
    finally:
        again.stop()
        sandbox.start()


def test_unpinned_version_and_auth_are_discovered(sandbox: EwsSandbox) -> None:
    from exchangelib import DELEGATE, Configuration, Credentials, FaultTolerance

    info = sandbox.info
    config = Configuration(
        service_endpoint=info.ews_url,
        credentials=Credentials(info.username, info.password),
        retry_policy=FaultTolerance(max_wait=5),
    )
    account = Account(info.upn, config=config, autodiscover=False, access_type=DELEGATE)
    assert account.version.build.major_version == 15
    assert account.version.api_version == "Exchange2016"
    assert config.auth_type == NTLM
    assert account.calendar.name == "Calendar"
