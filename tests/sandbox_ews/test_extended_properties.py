"""Named extended properties on calendar items in the EWS sandbox, through exchangelib's
registered ExtendedProperty fields (EWS "ExtendedProperty", "ExtendedFieldURI",
"SetItemField", "DeleteItemField"): stored by CreateItem/UpdateItem, returned by GetItem and
FindItem when asked for, removed by DeleteItemField."""

from __future__ import annotations

import datetime as dt

from exchangelib import Account, CalendarItem, EWSDateTime, EWSTimeZone
from exchangelib.items import SEND_TO_NONE

import bridge.providers.ews.overlay_field as overlay_field

UTC = EWSTimeZone("UTC")
FIELD = overlay_field.FIELD


def test_written_read_updated_and_removed(account: Account) -> None:
    start = EWSDateTime.now(UTC).replace(microsecond=0) + dt.timedelta(days=3)
    item = CalendarItem(
        account=account,
        folder=account.calendar,
        subject="Tagged",
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    setattr(item, FIELD, "first")
    item.save(send_meeting_invitations=SEND_TO_NONE)
    got = account.calendar.get(id=item.id)
    assert getattr(got, FIELD) == "first"
    setattr(got, FIELD, "second")
    got.save(update_fields=[FIELD], send_meeting_invitations=SEND_TO_NONE)
    assert getattr(account.calendar.get(id=item.id), FIELD) == "second"
    synced = [i for i in account.calendar.all().only("subject", FIELD) if i.id == item.id]
    assert getattr(synced[0], FIELD) == "second"
    setattr(got, FIELD, None)
    got.save(update_fields=[FIELD], send_meeting_invitations=SEND_TO_NONE)
    assert getattr(account.calendar.get(id=item.id), FIELD) is None
