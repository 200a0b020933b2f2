"""FindItem (IndexedPageItemView paging, CalendarView expansion, Restriction, SortOrder) and
GetItem (shapes, MimeContent, occurrence ids).

CalendarView returns single items, occurrences and exceptions overlapping [StartDate, EndDate)
and never recurring masters; when more than MaxEntriesReturned match, the first N come back with
IncludesLastItemInRange=false (web-service-reference "CalendarView", how-to "Get appointments and
meetings by using EWS in Exchange"). Indexed paging answers IndexedPagingOffset /
TotalItemsInView / IncludesLastItemInRange ("IndexedPageItemView", "RootFolder
(FindItemResponseMessage)"). GetItem answers one message per id, in order; an occurrence is
addressed by its own ItemId or by OccurrenceItemId (RecurringMasterId + 1-based InstanceIndex).
This module must not change the store.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from sandbox.ews import contacts_model, itemxml, mime, restrict
from sandbox.ews import recurrence as erec
from sandbox.ews.itemxml import View
from sandbox.ews.soap import (
    EwsError,
    Request,
    error,
    fmt_bool,
    local,
    m,
    parse_datetime,
    sub,
    success,
)
from sandbox.ews.store import CalItem

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService


def view_property(v: View, path: ET.Element, svc: EwsService) -> Any:
    """The value a Restriction / SortOrder sees for one property path."""
    if contacts_model.is_contact(v.item):
        return contacts_model.property_value(v.item, path)
    if local(path) == "ExtendedFieldURI":
        value = mime.extended_item_value(v, path, svc.store)
        if value is not None and path.get("PropertyType") in ("Integer", "Long", "Short"):
            return int(value)
        if value is not None and path.get("PropertyType") == "SystemTime":
            return parse_datetime(value)
        if value is not None and path.get("PropertyType") == "Boolean":
            return value == "true"
        return value
    name = path.get("FieldURI", "").split(":", 1)[-1]
    d = v.data
    if name in ("DateTimeCreated", "DateTimeReceived", "DateTimeSent"):
        return v.item.created
    if name == "LastModifiedTime":
        return v.item.modified
    if name == "ItemClass":
        return "IPM.Appointment"
    if name == "CalendarItemType":
        return v.kind
    if name == "IsRecurring":
        return v.kind != "Single"
    if name == "ItemId":
        return v.id
    if name in ("IsAllDayEvent", "IsCancelled", "ReminderIsSet"):
        return bool(d.get(name, False))
    value = d.get(name)
    return value


def _getter(v: View, svc: EwsService) -> restrict.Getter:
    return lambda path: view_property(v, path, svc)


def _order(item: CalItem) -> tuple[dt.datetime, str, str]:
    """Calendar items by start; contacts (no Start) by FileAs, like Outlook's contact list."""
    start = item.data.get("Start") or dt.datetime.min.replace(tzinfo=dt.UTC)
    return start, str(item.data.get("FileAs") or "").lower(), item.id


def _views(svc: EwsService, folder_id: str, cal: ET.Element | None) -> list[View]:
    items = sorted(svc.store.items_in(folder_id), key=_order)
    if cal is None:
        return [View(i, None, i.data) for i in items]
    lo = parse_datetime(cal.get("StartDate", ""))
    hi = parse_datetime(cal.get("EndDate", ""))
    if hi < lo:
        raise EwsError("ErrorCalendarViewRangeTooBig", "EndDate is earlier than StartDate.")
    out: list[View] = []
    for item in items:
        if "Start" not in item.data:  # contacts are not in a CalendarView
            continue
        if item.data.get("Recurrence"):
            for index, _start in erec.expand(item, lo, hi):
                v = itemxml.view_of(item, index)
                if v is not None:
                    out.append(v)
        elif item.data["Start"] < hi and item.data["End"] > lo or item.data["Start"] == lo:
            out.append(View(item, None, item.data))
    out.sort(key=lambda v: (v.data["Start"], v.id))
    return out


def _sort(views: list[View], order: ET.Element | None, svc: EwsService) -> list[View]:
    if order is None:
        return views
    for field in reversed(list(order)):
        path = next(iter(field), None)
        if path is None:
            continue
        desc = field.get("Order", "Ascending") == "Descending"

        def key(v: View, path: ET.Element = path) -> tuple[int, Any]:
            value = view_property(v, path, svc)
            if value is None:
                return (0, "")
            if isinstance(value, dt.datetime):
                return (1, value.timestamp())
            return (1, value if isinstance(value, int | float) else str(value).lower())

        views = sorted(views, key=key, reverse=desc)
    return views


def find_item(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    body = req.body
    shape = itemxml.parse_shape(body.find(m("ItemShape")))
    ctx = svc.render_ctx(shape)
    cal = body.find(m("CalendarView"))
    page = body.find(m("IndexedPageItemView"))
    restriction = body.find(m("Restriction"))
    parents = body.find(m("ParentFolderIds"))
    for elem in parents if parents is not None else []:
        try:
            folder = svc.folder_of(elem)
            views = _views(svc, folder.id, cal)
        except EwsError as exc:
            error(msgs, "FindItem", exc)
            continue
        if restriction is not None:
            views = [v for v in views if restrict.matches(restriction, _getter(v, svc))]
        views = _sort(views, body.find(m("SortOrder")), svc)
        total = len(views)
        attrs: dict[str, str] = {}
        if cal is not None:
            limit = int(cal.get("MaxEntriesReturned", str(total)) or total)
            chunk = views[:limit]
            attrs = {"TotalItemsInView": str(total)}
            done = len(chunk) >= total
        else:
            offset, limit = 0, total
            if page is not None:
                offset = int(page.get("Offset", "0"))
                limit = int(page.get("MaxEntriesReturned", str(total)) or total)
                if page.get("BasePoint", "Beginning") == "End":
                    offset = max(0, total - offset - limit)
            chunk = views[offset : offset + limit]
            done = offset + len(chunk) >= total
            attrs = {
                "IndexedPagingOffset": str(offset + len(chunk)),
                "TotalItemsInView": str(total),
            }
        attrs["IncludesLastItemInRange"] = fmt_bool(done)
        msg = success(msgs, "FindItem")
        container = sub(sub(msg, "m:RootFolder", **attrs), "t:Items")
        for v in chunk:
            itemxml.render(container, v, ctx)
    return env


def get_item(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    shape = itemxml.parse_shape(req.body.find(m("ItemShape")))
    ctx = svc.render_ctx(shape)
    ids = req.body.find(m("ItemIds"))
    for elem in ids if ids is not None else []:
        try:
            item, index = svc.item_of(elem)
            v = itemxml.view_of(item, index)
            if v is None:
                raise EwsError("ErrorItemNotFound", "The specified object was not found.")
        except EwsError as exc:
            error(msgs, "GetItem", exc)
            continue
        msg = success(msgs, "GetItem")
        itemxml.render(sub(msg, "m:Items"), v, ctx)
    return env


HANDLERS = {"FindItem": find_item, "GetItem": get_item}
