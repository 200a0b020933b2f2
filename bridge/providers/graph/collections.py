"""Calendars and contact folders managed from DAV clients, for Microsoft Graph v1.0 (issue 11).

- Calendars: POST /me/calendars {name, color} (user-post-calendars.md), PATCH
  /me/calendars/{id} (calendar-update.md: name, color), DELETE /me/calendars/{id}
  (calendar-delete.md). `hexColor` is read-only (resources/calendar.md), so a colour is sent
  as the nearest `calendarColor` name (lightBlue … lightRed). Graph calendars have no
  description: "description" is not in `calendar_fields`.
- Contact folders: POST /me/contactFolders {displayName} (user-post-contactfolders.md),
  PATCH /me/contactFolders/{id} (contactfolder-update.md), DELETE (contactfolder-delete.md).
Wire calls only (mixins over the providers' `_http` and `_p`); no store, no sync.
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.errors import BadInput
from bridge.model import AddressBookInfo, CalendarInfo, CollectionChange
from bridge.providers.common.retry import WRITE_POLICY
from bridge.providers.graph.http import GraphHttp

#: calendarColor names and the hex Outlook shows for them (as the provider reads them back)
COLOR_NAMES = {
    "lightBlue": "#A6D1F5",
    "lightGreen": "#87D28E",
    "lightOrange": "#FCAB73",
    "lightGray": "#C0C0C0",
    "lightYellow": "#F4D07A",
    "lightTeal": "#9ADFD3",
    "lightPink": "#F5A3C8",
    "lightBrown": "#D0A77C",
    "lightRed": "#F08B8B",
}


def _rgb(color: str) -> tuple[int, int, int]:
    text = color.strip().lstrip("#")[:6]
    if len(text) != 6:
        raise BadInput(f"not a #RRGGBB colour: {color!r}")
    try:
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError as exc:
        raise BadInput(f"not a #RRGGBB colour: {color!r}") from exc


def nearest_color_name(color: str) -> str:
    """The calendarColor whose hex is nearest to `color` (#RRGGBB or #RRGGBBAA)."""
    want = _rgb(color)
    return min(
        COLOR_NAMES,
        key=lambda n: sum((a - b) ** 2 for a, b in zip(_rgb(COLOR_NAMES[n]), want, strict=True)),
    )


class GraphCalendarCollections:
    """Implements bridge.providers.base.CalendarCollections for GraphCalendarProvider."""

    calendar_fields = frozenset({"name", "color"})
    _http: GraphHttp
    _p: Callable[..., str]

    def _calendar_body(self, change: CollectionChange) -> dict[str, str]:
        body: dict[str, str] = {}
        if change.display_name is not None:
            body["name"] = change.display_name
        if change.color:
            body["color"] = nearest_color_name(change.color)
        return body

    def create_calendar(self, change: CollectionChange) -> CalendarInfo:
        body = self._calendar_body(change)
        created = self._http.post(self._p("calendars"), json=body, policy=WRITE_POLICY) or {}
        color = created.get("hexColor") or COLOR_NAMES.get(str(created.get("color") or ""))
        return CalendarInfo(
            remote_id=str(created["id"]),
            display_name=str(created.get("name") or body.get("name") or ""),
            color=str(color).upper() if color else None,
        )

    def change_calendar(self, remote_id: str, change: CollectionChange) -> None:
        body = self._calendar_body(change)
        if body:
            self._http.patch(self._p("calendars", remote_id), json=body, policy=WRITE_POLICY)

    def delete_calendar(self, remote_id: str) -> None:
        self._http.delete(self._p("calendars", remote_id), policy=WRITE_POLICY)


class GraphContactFolders:
    """Implements bridge.providers.base.AddressBookCollections for GraphContactsProvider."""

    _http: GraphHttp
    _p: Callable[..., str]

    def create_address_book(self, display_name: str) -> AddressBookInfo:
        body = {"displayName": display_name}
        created = self._http.post(self._p("contactFolders"), json=body, policy=WRITE_POLICY) or {}
        return AddressBookInfo(str(created["id"]), str(created.get("displayName") or display_name))

    def rename_address_book(self, remote_id: str, display_name: str) -> None:
        body = {"displayName": display_name}
        self._http.patch(self._p("contactFolders", remote_id), json=body, policy=WRITE_POLICY)

    def delete_address_book(self, remote_id: str) -> None:
        self._http.delete(self._p("contactFolders", remote_id), policy=WRITE_POLICY)
