"""Calendar v3 behaviour through googleapiclient (static discovery, api_endpoint = sandbox)."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from sandbox.google.server import GoogleSandbox
from tests.sandbox_google.conftest import Control, list_all, timed


def _reason(err: HttpError) -> str:
    return str(err.error_details[0]["reason"])


def _calendars(service: Any) -> dict[str, dict[str, Any]]:
    return {c["summary"]: c for c in service.calendarList().list().execute()["items"]}


def test_calendar_list_as_google_shows_it(sandbox: GoogleSandbox, service: Any) -> None:
    cals = _calendars(service)
    user = sandbox.info.user
    assert cals[user]["id"] == user and cals[user]["primary"] is True
    assert cals[user]["accessRole"] == "owner"
    assert cals["Projects"]["accessRole"] == "owner" and "primary" not in cals["Projects"]
    assert cals["Team Holidays"]["accessRole"] == "reader"
    assert all(c["backgroundColor"].startswith("#") and c["etag"] for c in cals.values())
    # colleagues' primary calendars shared with the user (sandbox.google.seed_delegation)
    assert cals["megan@contoso.example"]["accessRole"] == "writer"
    assert cals["nestor@contoso.example"]["accessRole"] == "reader"
    assert cals["adele@contoso.example"]["accessRole"] == "freeBusyReader"
    page = service.calendarList().list(maxResults=2).execute()
    assert len(page["items"]) == 2 and page["nextPageToken"]
    seen = len(page["items"])
    while "nextPageToken" in page:
        page = service.calendarList().list(maxResults=2, pageToken=page["nextPageToken"]).execute()
        seen += len(page["items"])
    assert seen == len(cals) == 6


def test_private_events_as_the_role_allows(service: Any) -> None:
    """acl roles: a reader gets a private event without its details, a free/busy reader every
    event with its times only, a writer everything."""
    by_cal = {
        cal: [e for e in list_all(service, cal, maxResults=50)[0] if e.get("status") != "cancelled"]
        for cal in ("megan@contoso.example", "nestor@contoso.example", "adele@contoso.example")
    }
    megan = by_cal["megan@contoso.example"]
    assert any(e.get("visibility") == "private" and "summary" in e for e in megan)
    nestor = by_cal["nestor@contoso.example"]
    hidden = [e for e in nestor if e.get("visibility") in ("private", "confidential")]
    assert len(hidden) == 2
    assert all("summary" not in e and "location" not in e and "attendees" not in e for e in hidden)
    assert any(e.get("summary") == "Nestor: weekly planning" for e in nestor)
    adele = by_cal["adele@contoso.example"]
    assert len(adele) == 3 and all("summary" not in e and "start" in e for e in adele)


def test_seed_has_the_varieties(service: Any) -> None:
    items, _, _ = list_all(service, "primary", maxResults=2500)
    live = [e for e in items if e.get("status") != "cancelled"]
    assert len(live) >= 90
    kinds = {
        ((e.get("conferenceData") or {}).get("conferenceSolution") or {}).get("key", {}).get("type")
        for e in live
    }
    assert {"addOn", "hangoutsMeet"} <= kinds
    zoom = next(e for e in live if e["summary"] == "Design review")
    video = zoom["conferenceData"]["entryPoints"][0]
    assert zoom["conferenceData"]["conferenceSolution"]["name"] == "Zoom Meeting"
    assert video["uri"].startswith("https://us02web.zoom.us/j/85512345678?pwd=")
    assert video["meetingCode"] == "85512345678" and video["passcode"] == "123456"
    phone = zoom["conferenceData"]["entryPoints"][1]
    assert phone["uri"].startswith("tel:+1") and phone["uri"].endswith(",,85512345678#")
    assert any("teams.microsoft.com/l/meetup-join" in e.get("description", "") for e in live)
    assert any("zoom.us/j/" in e.get("location", "") for e in live)
    assert any(e.get("visibility") == "private" for e in live)
    assert any("date" in e["start"] for e in live)
    zones = {e["start"].get("timeZone") for e in live}
    assert {"America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "UTC"} <= zones
    weekly = next(e for e in live if e["summary"] == "Weekly sync")
    assert weekly["recurrence"] == ["RRULE:FREQ=WEEKLY;WKST=MO;BYDAY=MO"]
    moved = [e for e in items if e.get("recurringEventId") == weekly["id"]]
    assert {e["status"] for e in moved} == {"confirmed", "cancelled"}  # moved + cancelled


def test_paging_and_full_then_incremental_sync(
    sandbox: GoogleSandbox, service: Any, control: Control
) -> None:
    cal = "primary"
    full, token, pages = list_all(service, cal, maxResults=25)
    assert pages > 3
    ids = [e["id"] for e in full]
    assert len(ids) == len(set(ids))
    # nothing changed: an empty incremental page
    resp = service.events().list(calendarId=cal, syncToken=token).execute()
    assert resp["items"] == [] and resp["nextSyncToken"]
    # one change made by the client, one provider-side, one deletion
    created = (
        service.events()
        .insert(calendarId=cal, body=timed("New", "2030-01-07T10:00:00", "2030-01-07T11:00:00"))
        .execute()
    )
    victim = next(e for e in full if e.get("status") != "cancelled" and "recurrence" not in e)
    service.events().delete(calendarId=cal, eventId=victim["id"]).execute()
    edited = next(e for e in full if e.get("summary") == "Lunch with Nestor")
    control.call("PATCH", f"/calendars/{cal}/events/{edited['id']}", {"summary": "Lunch (moved)"})
    changes, token2, _ = list_all(service, cal, syncToken=token)
    by_id = {e["id"]: e for e in changes}
    assert set(by_id) == {created["id"], victim["id"], edited["id"]}
    assert by_id[victim["id"]]["status"] == "cancelled"
    assert by_id[edited["id"]]["summary"] == "Lunch (moved)"
    assert by_id[edited["id"]]["etag"] != edited["etag"]
    again = service.events().list(calendarId=cal, syncToken=token2).execute()
    assert again["items"] == []


def test_sync_token_refuses_filters_and_expires(service: Any, control: Control) -> None:
    _, token, _ = list_all(service, "primary", maxResults=2500)
    with pytest.raises(HttpError) as exc:
        service.events().list(
            calendarId="primary", syncToken=token, timeMin="2030-01-01T00:00:00Z"
        ).execute()
    assert exc.value.status_code == 400
    control.call("POST", "/sync/expire")
    with pytest.raises(HttpError) as exc:
        service.events().list(calendarId="primary", syncToken=token).execute()
    assert exc.value.status_code == 410 and _reason(exc.value) == "fullSyncRequired"


def test_if_match_stale_etag_is_412(service: Any) -> None:
    ev = (
        service.events()
        .insert(
            calendarId="primary", body=timed("Etag", "2030-02-01T10:00:00", "2030-02-01T11:00:00")
        )
        .execute()
    )
    patched = (
        service.events()
        .patch(calendarId="primary", eventId=ev["id"], body={"summary": "Etag 2"})
        .execute()
    )
    assert patched["etag"] != ev["etag"] and patched["etag"].startswith('"')
    stale = service.events().patch(calendarId="primary", eventId=ev["id"], body={"summary": "3"})
    stale.headers["If-Match"] = ev["etag"]
    with pytest.raises(HttpError) as exc:
        stale.execute()
    assert exc.value.status_code == 412 and _reason(exc.value) == "conditionNotMet"
    fresh = service.events().patch(calendarId="primary", eventId=ev["id"], body={"summary": "4"})
    fresh.headers["If-Match"] = patched["etag"]
    assert fresh.execute()["summary"] == "4"


def test_client_chosen_id_is_idempotency_key(service: Any) -> None:
    body = timed(
        "Once", "2030-03-01T10:00:00", "2030-03-01T11:00:00", id="davbridge0123456789abcdef"
    )
    ev = service.events().insert(calendarId="primary", body=body).execute()
    assert ev["id"] == "davbridge0123456789abcdef"
    with pytest.raises(HttpError) as exc:
        service.events().insert(calendarId="primary", body=body).execute()
    assert exc.value.status_code == 409 and _reason(exc.value) == "duplicate"
    with pytest.raises(HttpError) as exc:
        service.events().insert(calendarId="primary", body={**body, "id": "UPPER_case"}).execute()
    assert exc.value.status_code == 400


def test_delete_then_delete_again_is_410(service: Any) -> None:
    ev = (
        service.events()
        .insert(
            calendarId="primary", body=timed("Gone", "2030-04-01T10:00:00", "2030-04-01T11:00:00")
        )
        .execute()
    )
    service.events().delete(calendarId="primary", eventId=ev["id"]).execute()
    assert service.events().get(calendarId="primary", eventId=ev["id"]).execute()["status"] == (
        "cancelled"
    )
    with pytest.raises(HttpError) as exc:
        service.events().delete(calendarId="primary", eventId=ev["id"]).execute()
    assert exc.value.status_code == 410 and _reason(exc.value) == "deleted"


def test_instances_and_occurrence_edits(service: Any) -> None:
    body = timed(
        "Series",
        "2030-01-07T09:00:00",
        "2030-01-07T09:30:00",
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5"],
    )
    master = service.events().insert(calendarId="primary", body=body).execute()
    inst = service.events().instances(calendarId="primary", eventId=master["id"]).execute()
    ids = [i["id"] for i in inst["items"]]
    assert ids[0] == f"{master['id']}_20300107T080000Z"  # 09:00 Berlin = 08:00Z
    assert len(ids) == 5 and all(i["recurringEventId"] == master["id"] for i in inst["items"])
    assert inst["items"][1]["originalStartTime"]["timeZone"] == "Europe/Berlin"
    service.events().patch(
        calendarId="primary",
        eventId=ids[1],
        body={
            "summary": "Moved",
            "start": {"dateTime": "2030-01-15T14:00:00+01:00"},
            "end": {"dateTime": "2030-01-15T14:30:00+01:00"},
        },
    ).execute()
    service.events().delete(calendarId="primary", eventId=ids[2]).execute()
    after = service.events().instances(calendarId="primary", eventId=master["id"]).execute()
    by_id = {i["id"]: i for i in after["items"]}
    assert ids[2] not in by_id and by_id[ids[1]]["summary"] == "Moved"
    shown = (
        service.events()
        .instances(calendarId="primary", eventId=master["id"], showDeleted=True)
        .execute()
    )
    assert {i["id"]: i["status"] for i in shown["items"]}[ids[2]] == "cancelled"
    # singleEvents=false: the master plus its exceptions (the cancelled one included)
    listed = (
        service.events()
        .list(calendarId="primary", timeMin="2030-01-01T00:00:00Z", timeMax="2030-03-01T00:00:00Z")
        .execute()["items"]
    )
    mine = {e["id"]: e for e in listed if master["id"] in e["id"]}
    assert set(mine) == {master["id"], ids[1], ids[2]}
    assert mine[ids[2]] == {
        "kind": "calendar#event",
        "etag": mine[ids[2]]["etag"],
        "id": ids[2],
        "status": "cancelled",
        "updated": mine[ids[2]]["updated"],
        "recurringEventId": master["id"],
        "originalStartTime": mine[ids[2]]["originalStartTime"],
    }
    expanded = (
        service.events()
        .list(
            calendarId="primary",
            singleEvents=True,
            orderBy="startTime",
            timeMin="2030-01-01T00:00:00Z",
            timeMax="2030-03-01T00:00:00Z",
        )
        .execute()["items"]
    )
    assert [e["id"] for e in expanded if master["id"] in e["id"]] == [
        ids[0],
        ids[1],
        ids[3],
        ids[4],
    ]


def test_read_only_calendar_refuses_writes(service: Any) -> None:
    holidays = _calendars(service)["Team Holidays"]["id"]
    items = service.events().list(calendarId=holidays).execute()["items"]
    assert len(items) == 12 and all("date" in e["start"] for e in items)
    with pytest.raises(HttpError) as exc:
        service.events().patch(
            calendarId=holidays, eventId=items[0]["id"], body={"summary": "x"}
        ).execute()
    assert exc.value.status_code == 403 and _reason(exc.value) == "forbidden"
    assert "writer access" in str(exc.value)


def test_conference_data_needs_version_1(service: Any) -> None:
    body = timed(
        "Meet",
        "2030-05-01T10:00:00",
        "2030-05-01T11:00:00",
        conferenceData={
            "createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
        },
    )
    plain = service.events().insert(calendarId="primary", body=body).execute()
    assert "conferenceData" not in plain
    ev = service.events().insert(calendarId="primary", body=body, conferenceDataVersion=1).execute()
    assert ev["conferenceData"]["conferenceSolution"]["key"]["type"] == "hangoutsMeet"
    assert ev["hangoutLink"].startswith("https://meet.google.com/")
    # a patch without conferenceDataVersion keeps the conference
    kept = (
        service.events()
        .patch(
            calendarId="primary",
            eventId=ev["id"],
            body={"summary": "Meet 2", "conferenceData": None},
        )
        .execute()
    )
    assert kept["conferenceData"] == ev["conferenceData"]


def test_time_zone_parameter_and_bad_times(service: Any) -> None:
    ev = (
        service.events()
        .insert(
            calendarId="primary",
            body=timed("Tokyo", "2030-06-03T09:00:00", "2030-06-03T10:00:00", "Asia/Tokyo"),
        )
        .execute()
    )
    got = service.events().get(calendarId="primary", eventId=ev["id"], timeZone="UTC").execute()
    assert got["start"] == {"dateTime": "2030-06-03T00:00:00Z", "timeZone": "Asia/Tokyo"}
    with pytest.raises(HttpError) as exc:
        service.events().insert(
            calendarId="primary", body=timed("bad", "2030-06-03T10:00:00", "2030-06-03T09:00:00")
        ).execute()
    assert exc.value.status_code == 400 and _reason(exc.value) == "timeRangeEmpty"


def test_injected_quota_faults(sandbox: GoogleSandbox, service: Any, control: Control) -> None:
    control.call(
        "POST",
        "/faults",
        {
            "match": "^GET /calendar/v3/calendars/.*/events",
            "status": 403,
            "reason": "userRateLimitExceeded",
            "times": 1,
        },
    )
    with pytest.raises(HttpError) as exc:
        service.events().list(calendarId="primary").execute()
    assert exc.value.status_code == 403 and _reason(exc.value) == "userRateLimitExceeded"
    assert exc.value.error_details[0]["domain"] == "usageLimits"
    control.call(
        "POST", "/faults", {"match": "events", "status": 429, "retry_after": 2, "times": 1}
    )
    with pytest.raises(HttpError) as exc:
        service.events().list(calendarId="primary").execute()
    assert exc.value.status_code == 429 and exc.value.resp["retry-after"] == "2"
    before = sandbox.request_count()
    assert service.events().list(calendarId="primary", maxResults=1).execute()["items"]
    assert sandbox.request_count() == before + 1


def test_incremental_sync_pages_like_full_sync(service: Any, control: Control) -> None:
    _, token, _ = list_all(service, "primary", maxResults=2500)
    for i in range(23):
        control.call(
            "POST",
            "/calendars/primary/events",
            timed(f"Bulk {i}", "2030-09-01T10:00:00", "2030-09-01T10:30:00"),
        )
    changes, _, pages = list_all(service, "primary", syncToken=token, maxResults=10)
    assert len(changes) == 23 and pages == 3


def test_series_keeps_wall_clock_across_dst(service: Any) -> None:
    master = (
        service.events()
        .insert(
            calendarId="primary",
            body=timed(
                "Across DST",
                "2030-03-18T09:00:00",
                "2030-03-18T10:00:00",
                recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
            ),
        )
        .execute()
    )
    items = (
        service.events()
        .instances(calendarId="primary", eventId=master["id"], timeZone="Europe/Berlin")
        .execute()["items"]
    )
    # Berlin switches to summer time on 2030-03-31: same 09:00 local, one hour earlier in UTC
    assert [i["start"]["dateTime"] for i in items] == [
        "2030-03-18T09:00:00+01:00",
        "2030-03-25T09:00:00+01:00",
        "2030-04-01T09:00:00+02:00",
    ]
    assert items[2]["id"].endswith("_20300401T070000Z")
    all_day = (
        service.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Daily all-day",
                "start": {"date": "2030-03-18"},
                "end": {"date": "2030-03-19"},
                "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"],
            },
        )
        .execute()
    )
    days = service.events().instances(calendarId="primary", eventId=all_day["id"]).execute()
    assert [i["id"] for i in days["items"]] == [
        f"{all_day['id']}_20300318",
        f"{all_day['id']}_20300319",
    ]
    assert days["items"][1]["end"] == {"date": "2030-03-20"}
