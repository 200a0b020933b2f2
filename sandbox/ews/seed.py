"""Seed the EWS sandbox mailbox: the folder tree of an Exchange 2016 mailbox and the demo events.

The events are the Graph sandbox's demo seed (sandbox.seed: Zoom/Teams/plain/all-day/
private/multi-zone/DST/recurring-with-exceptions), translated from Graph request bodies to EWS
fields (Windows zone ids stay Windows ids, as EWS uses them: page "StartTimeZone"), replayed
through the same edits the EWS operations use so occurrence edits/cancellations become
ModifiedOccurrences/DeletedOccurrences. Deterministic for a given `now`. This module must not
do I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sandbox import recurrence as rec
from sandbox.ews import contacts_seed, edits, itemparse
from sandbox.ews import recurrence as erec
from sandbox.ews.store import Fields, Store

_RESPONSE = {
    "accepted": "Accept",
    "tentativelyAccepted": "Tentative",
    "declined": "Decline",
    "organizer": "Organizer",
    "none": "NoResponseReceived",
    "notResponded": "NoResponseReceived",
}
_SHOW_AS = {"free": "Free", "tentative": "Tentative", "busy": "Busy", "oof": "OOF"}
_SHOW_AS["workingElsewhere"] = "WorkingElsewhere"
_KIND = {"required": "RequiredAttendees", "optional": "OptionalAttendees"}
_KIND["resource"] = "Resources"
MAILBOX_FOLDERS = (
    ("Inbox", "IPF.Note", "inbox"),
    ("Drafts", "IPF.Note", "drafts"),
    ("Sent Items", "IPF.Note", "sentitems"),
    ("Deleted Items", "IPF.Note", "deleteditems"),
    ("Outbox", "IPF.Note", "outbox"),
    ("Junk Email", "IPF.Note", "junkemail"),
    ("Calendar", "IPF.Appointment", "calendar"),
    ("Contacts", "IPF.Contact", "contacts"),
    ("Tasks", "IPF.Task", "tasks"),
    ("Notes", "IPF.StickyNote", "notes"),
    ("Journal", "IPF.Journal", "journal"),
)


def _when(value: dict[str, str]) -> tuple[dt.datetime, str]:
    zone_id = value.get("timeZone") or "UTC"
    local = dt.datetime.fromisoformat(value["dateTime"][:19])
    return local.replace(tzinfo=erec.zone(zone_id)).astimezone(dt.UTC), zone_id


def graph_to_fields(body: dict[str, Any]) -> Fields:
    """EWS fields for a Graph event body (or a PATCH of one)."""
    out: Fields = {}
    if "subject" in body:
        out["Subject"] = body["subject"]
    if "body" in body:
        out["Body"] = body["body"].get("content", "")
        out["BodyType"] = "HTML" if body["body"].get("contentType") == "html" else "Text"
    for key, name in (("start", "Start"), ("end", "End")):
        if key in body:
            out[name], out[f"{name}TimeZone"] = _when(body[key])
    if "isAllDay" in body:
        out["IsAllDayEvent"] = bool(body["isAllDay"])
    if "location" in body:
        out["Location"] = (body["location"] or {}).get("displayName", "")
    if "organizer" in body:
        em = body["organizer"]["emailAddress"]
        out["Organizer"] = (em.get("name", em["address"]), em["address"])
    if "attendees" in body:
        for field in _KIND.values():
            out[field] = []
        for att in body["attendees"]:
            em = att["emailAddress"]
            response = _RESPONSE.get((att.get("status") or {}).get("response", "none"), "Unknown")
            out[_KIND.get(att.get("type", "required"), "RequiredAttendees")].append(
                (em.get("name", em["address"]), em["address"], response)
            )
    if "categories" in body:
        out["Categories"] = list(body["categories"])
    if "isReminderOn" in body:
        out["ReminderIsSet"] = bool(body["isReminderOn"])
    if "reminderMinutesBeforeStart" in body:
        out["ReminderMinutesBeforeStart"] = int(body["reminderMinutesBeforeStart"])
    if "showAs" in body:
        out["LegacyFreeBusyStatus"] = _SHOW_AS.get(body["showAs"], "Busy")
    if "sensitivity" in body:
        out["Sensitivity"] = str(body["sensitivity"]).capitalize()
    if "importance" in body:
        out["Importance"] = str(body["importance"]).capitalize()
    if "isCancelled" in body:
        out["IsCancelled"] = bool(body["isCancelled"])
    return out


def build_folders(store: Store, owner_name: str) -> dict[str, str]:
    """Create the mailbox folder tree; returns distinguished name -> folder id."""
    root = store.add_folder("Root", None, None, "root")
    top = store.add_folder("Top of Information Store", root.id, "IPF.Note", "msgfolderroot")
    ids = {"root": root.id, "msgfolderroot": top.id}
    for name, cls, dist in MAILBOX_FOLDERS:
        ids[dist] = store.add_folder(name, top.id, cls, dist).id
    return ids


def apply(store: Store, seed: Any, now: dt.datetime, bulk: bool) -> dict[str, str]:
    """Create the seed's calendars (below Calendar) and events; returns key -> id."""
    ids = build_folders(store, seed.user_name)
    calendar_id = ids["calendar"]
    folders: dict[str, str] = {}
    read_only: list[str] = []
    for cal in seed.calendars:
        if cal.is_default or bulk:
            folders[cal.key] = calendar_id
            continue
        sub = store.add_folder(cal.name, calendar_id, "IPF.Appointment", None)
        folders[cal.key] = sub.id
        if not cal.can_edit:
            read_only.append(sub.id)
    items: dict[str, Any] = {}
    for entry in seed.events:
        if hasattr(entry, "body"):
            data = graph_to_fields(entry.body)
            itemparse.validate(data)
            if entry.body.get("recurrence"):
                start_local = data["Start"].astimezone(erec.zone(data["StartTimeZone"]))
                data["Recurrence"] = rec.normalize(
                    entry.body["recurrence"],
                    start_local.replace(tzinfo=None),
                    data["StartTimeZone"],
                )
            item = edits.create(store, folders[entry.calendar_key], data, now)
            items[entry.key] = item
            ids[entry.key] = item.id
            continue
        item = items[entry.event_key]
        index = entry.occurrence_index
        if erec.occurrence_times(item, index) is None:
            continue
        if hasattr(entry, "patch"):
            patch = graph_to_fields(entry.patch)
            patch.pop("StartTimeZone", None)
            patch.pop("EndTimeZone", None)
            edits.update(store, item, index, patch, now)
        else:
            edits.delete(store, item, index, now)
    for folder_id in read_only:
        store.folders[folder_id].can_write = False
    return ids


BULK_CALENDAR = "Bulk"  # clients see "Bulk — Exchange" (`davbridge demo --bulk-events N`)


def ensure_bulk_calendar(store: Store, n: int, now: dt.datetime) -> bool:
    """Add a calendar folder named BULK_CALENDAR (below Calendar) with `n` generated events,
    unless the mailbox has one already (a restarted demo keeps its own); True if added."""
    calendar = store.distinguished("calendar")
    if n <= 0 or calendar is None:
        return False
    if any(
        f.display_name == BULK_CALENDAR and f.parent_id == calendar.id
        for f in store.folders.values()
    ):
        return False
    from sandbox import seed as seedmod

    folder = store.add_folder(BULK_CALENDAR, calendar.id, "IPF.Appointment", None)
    for entry in seedmod.bulk_seed(n, now, BULK_CALENDAR, is_default=False).events:
        assert isinstance(entry, seedmod.SeedEvent)  # a bulk seed has single events only
        data = graph_to_fields(entry.body)
        itemparse.validate(data)
        edits.create(store, folder.id, data, now)
    return True


def secret_for(now: dt.datetime) -> bytes:
    return hashlib.sha256(f"ews-sandbox:{now.date().isoformat()}".encode()).digest()


def seeded_store(now: dt.datetime, seed: bool, bulk_events: int) -> tuple[Store, dict[str, str]]:
    from sandbox import seed as seedmod

    store = Store(secret_for(now))
    if bulk_events > 0:
        return store, apply(store, seedmod.bulk_seed(bulk_events, now), now, True)
    if not seed:
        return store, build_folders(store, "")
    demo = seedmod.demo_seed(now)
    ids = apply(store, demo, now, False)
    ids.update(contacts_seed.apply(store, ids, now))
    from sandbox.ews.delegates import apply_delegates

    apply_delegates(store, now)  # other mailboxes opened as a delegate (issue 15)
    return store, ids
