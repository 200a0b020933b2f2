"""Event extendedProperties in the Calendar sandbox, as the "Extended properties" guide
describes them: set by insert/patch, a patch with null removes one key and leaves the others,
returned in get/list/sync results, and held to the documented limits."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.sandbox_google.conftest import list_all, timed


def test_patch_merges_keys_and_sync_results_carry_them(service: Any) -> None:
    _, token, _ = list_all(service, "primary", maxResults=2500)
    body = timed("Tagged", "2031-02-03T10:00:00", "2031-02-03T11:00:00")
    body["extendedProperties"] = {"private": {"a": "1", "b": "2"}}
    made = service.events().insert(calendarId="primary", body=body).execute()
    patch = {"extendedProperties": {"private": {"a": None, "c": "3"}}}
    service.events().patch(calendarId="primary", eventId=made["id"], body=patch).execute()
    got = service.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert got["extendedProperties"] == {"private": {"b": "2", "c": "3"}}
    changed, _, _ = list_all(service, "primary", syncToken=token)
    mine = next(e for e in changed if e["id"] == made["id"])
    assert mine["extendedProperties"]["private"] == {"b": "2", "c": "3"}


def test_limits_long_values_truncated_long_keys_dropped_too_much_refused(service: Any) -> None:
    body = timed("Limits", "2031-02-04T10:00:00", "2031-02-04T11:00:00")
    body["extendedProperties"] = {"private": {"k" * 45: "x", "v": "y" * 1100}}
    made = service.events().insert(calendarId="primary", body=body).execute()
    assert made["extendedProperties"]["private"] == {"v": "y" * 1024}
    body["extendedProperties"] = {"private": {f"k{i}": "z" * 1000 for i in range(40)}}
    with pytest.raises(HttpError) as caught:
        service.events().insert(calendarId="primary", body=body).execute()
    assert caught.value.resp.status == 400
