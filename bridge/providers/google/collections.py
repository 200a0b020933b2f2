"""Calendars and contact groups managed from DAV clients, for Google (issue 11).

- Calendars: calendars.insert {summary, description} creates a secondary calendar owned by the
  account (it joins the calendar list); calendars.patch changes summary/description;
  calendarList.patch with colorRgbFormat=true sets backgroundColor (the colour is a property of
  the user's calendar-list entry, not of the calendar); calendars.delete removes a secondary
  calendar (the primary one cannot be deleted). Schemas: the discovery document bundled with
  google-api-python-client (calendar.v3.json: "calendars", "calendarList").
- Contact groups (labels): contactGroups.create {contactGroup{name}}, contactGroups.update
  {contactGroup{name, etag}, updateGroupFields: "name"} and contactGroups.delete
  (deleteContacts=false: contacts keep existing, only the label goes) — people.v1.json.
Wire calls only (mixins over the providers' `_client`); no store, no sync.
"""

from __future__ import annotations

from typing import Any

from bridge.model import AddressBookInfo, CalendarInfo, CollectionChange
from bridge.providers.common.retry import WRITE_POLICY
from bridge.providers.google.client import CalendarClient
from bridge.providers.google.contacts_client import PeopleClient


class GoogleCalendarCollections:
    """Implements bridge.providers.base.CalendarCollections for GoogleCalendarProvider."""

    calendar_fields = frozenset({"name", "color", "description"})
    _client: CalendarClient

    def create_calendar(self, change: CollectionChange) -> CalendarInfo:
        body: dict[str, Any] = {"summary": change.display_name or "Calendar"}
        if change.description:
            body["description"] = change.description
        created = self._client.execute(lambda s: s.calendars().insert(body=body), WRITE_POLICY)
        cal_id = str((created or {})["id"])
        if change.color:
            self._set_color(cal_id, change.color)
        return CalendarInfo(
            remote_id=cal_id,
            display_name=str((created or {}).get("summary") or body["summary"]),
            color=change.color.upper()[:7] if change.color else None,
        )

    def _set_color(self, cal_id: str, color: str) -> None:
        body = {"backgroundColor": color[:7].lower(), "foregroundColor": "#000000"}
        self._client.execute(
            lambda s: s.calendarList().patch(calendarId=cal_id, body=body, colorRgbFormat=True),
            WRITE_POLICY,
        )

    def change_calendar(self, remote_id: str, change: CollectionChange) -> None:
        body: dict[str, Any] = {}
        if change.display_name is not None:
            body["summary"] = change.display_name
        if change.description is not None:
            body["description"] = change.description
        if body:
            self._client.execute(
                lambda s: s.calendars().patch(calendarId=remote_id, body=body), WRITE_POLICY
            )
        if change.color:
            self._set_color(remote_id, change.color)

    def delete_calendar(self, remote_id: str) -> None:
        self._client.execute(lambda s: s.calendars().delete(calendarId=remote_id), WRITE_POLICY)


class GoogleContactGroups:
    """Implements bridge.providers.base.AddressBookCollections for GoogleContactsProvider."""

    _client: PeopleClient

    def create_address_book(self, display_name: str) -> AddressBookInfo:
        body = {"contactGroup": {"name": display_name}}
        created = self._client.call(lambda s: s.contactGroups().create(body=body), WRITE_POLICY)
        group = created or {}
        return AddressBookInfo(str(group["resourceName"]), str(group.get("name") or display_name))

    def rename_address_book(self, remote_id: str, display_name: str) -> None:
        current = self._client.call(
            lambda s: s.contactGroups().get(resourceName=remote_id), WRITE_POLICY
        )
        body = {
            "contactGroup": {"name": display_name, "etag": (current or {}).get("etag")},
            "updateGroupFields": "name",
        }
        self._client.call(
            lambda s: s.contactGroups().update(resourceName=remote_id, body=body), WRITE_POLICY
        )

    def delete_address_book(self, remote_id: str) -> None:
        self._client.call(
            lambda s: s.contactGroups().delete(resourceName=remote_id, deleteContacts=False),
            WRITE_POLICY,
        )
