"""Render calendar items (masters, single items, occurrences, exceptions) as `t:CalendarItem`.

Shapes per web-service-reference "ItemShape", "BaseShape" (IdOnly | Default | AllProperties),
"AdditionalProperties", "BodyType" (HTML | Text | Best), "IncludeMimeContent"; element names and
order per "CalendarItem", "Attendee", "Organizer", "ModifiedOccurrences", "DeletedOccurrences",
"FirstOccurrence", "StartTimeZone", "ExtendedProperty". Datetimes are UTC `…Z`, booleans
`true/false`. This module must not change the store.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from sandbox.ews import recurrence as erec
from sandbox.ews.contacts_model import extended_key
from sandbox.ews.soap import fmt_bool, fmt_datetime, local, sub, t
from sandbox.ews.store import CalItem, Fields, Folder, Store, occurrence_id

DEFAULT_FIELDS = (
    "item:Subject",
    "item:Sensitivity",
    "item:HasAttachments",
    "item:IsAssociated",
    "calendar:Start",
    "calendar:End",
    "calendar:LegacyFreeBusyStatus",
    "calendar:Location",
    "calendar:CalendarItemType",
    "calendar:Organizer",
)
ALL_FIELDS = (
    "item:ItemId",
    "item:ParentFolderId",
    "item:ItemClass",
    "item:Subject",
    "item:Sensitivity",
    "item:Body",
    "item:DateTimeReceived",
    "item:Size",
    "item:Categories",
    "item:Importance",
    "item:DateTimeSent",
    "item:DateTimeCreated",
    "item:ReminderIsSet",
    "item:ReminderMinutesBeforeStart",
    "item:HasAttachments",
    "item:EffectiveRights",
    "item:LastModifiedTime",
    "item:IsAssociated",
    "calendar:UID",
    "calendar:RecurrenceId",
    "calendar:DateTimeStamp",
    "calendar:Start",
    "calendar:End",
    "calendar:OriginalStart",
    "calendar:IsAllDayEvent",
    "calendar:LegacyFreeBusyStatus",
    "calendar:Location",
    "calendar:IsMeeting",
    "calendar:IsCancelled",
    "calendar:IsRecurring",
    "calendar:MeetingRequestWasSent",
    "calendar:IsResponseRequested",
    "calendar:CalendarItemType",
    "calendar:MyResponseType",
    "calendar:Organizer",
    "calendar:RequiredAttendees",
    "calendar:OptionalAttendees",
    "calendar:Resources",
    "calendar:Duration",
    "calendar:AppointmentSequenceNumber",
    "calendar:AppointmentState",
    "calendar:Recurrence",
    "calendar:FirstOccurrence",
    "calendar:LastOccurrence",
    "calendar:ModifiedOccurrences",
    "calendar:DeletedOccurrences",
    "calendar:StartTimeZone",
    "calendar:EndTimeZone",
    "calendar:IsOnlineMeeting",
)


@dataclass(frozen=True)
class Shape:
    base: str = "AllProperties"
    extra: tuple[str, ...] = ()
    extended: tuple[ET.Element, ...] = ()
    body_type: str = "Best"
    mime: bool = False


@dataclass
class View:
    """One item as a client sees it: a master/single item or one occurrence of a series."""

    item: CalItem
    index: int | None = None  # occurrence index for Occurrence/Exception views
    data: Fields = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.index is not None:
            return "Exception" if self.index in self.item.exceptions else "Occurrence"
        return "RecurringMaster" if self.item.data.get("Recurrence") else "Single"

    @property
    def id(self) -> str:
        return self.item.id if self.index is None else occurrence_id(self.item.id, self.index)

    @property
    def change_key(self) -> str:
        if self.index is not None and self.index in self.item.exceptions:
            return str(self.item.exceptions[self.index].get("ChangeKey", self.item.change_key))
        return self.item.change_key


def view_of(item: CalItem, index: int | None = None) -> View | None:
    if index is None:
        return View(item, None, item.data)
    times = erec.occurrence_times(item, index)
    if times is None:
        return None
    data = {k: v for k, v in item.data.items() if k != "Recurrence"}
    data.update({k: v for k, v in item.exceptions.get(index, {}).items() if k != "ChangeKey"})
    data["Start"], data["End"] = times
    data["OriginalStart"] = erec.original_start(item, index)
    return View(item, index, data)


def parse_shape(elem: ET.Element | None) -> Shape:
    if elem is None:
        return Shape()
    base = (elem.findtext(t("BaseShape")) or "Default").strip()
    body_type = (elem.findtext(t("BodyType")) or "Best").strip()
    mime = (elem.findtext(t("IncludeMimeContent")) or "").strip().lower() in ("1", "true")
    extra: list[str] = []
    extended: list[ET.Element] = []
    props = elem.find(t("AdditionalProperties"))
    for p in props if props is not None else []:
        if local(p) == "FieldURI":
            extra.append(p.get("FieldURI", ""))
        elif local(p) == "ExtendedFieldURI":
            extended.append(p)
        elif local(p) == "IndexedFieldURI":
            extra.append(p.get("FieldURI", ""))
    return Shape(base, tuple(extra), tuple(extended), body_type, mime)


def html_to_text(value: str) -> str:
    value = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", value)
    value = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>", "\n", value)
    value = re.sub(r"<[^>]+>", "", value)
    return html.unescape(value).strip() + "\n"


def text_to_html(value: str) -> str:
    lines = "<br>\r\n".join(html.escape(line) for line in value.splitlines())
    return f"<html>\r\n<head>\r\n</head>\r\n<body>\r\n{lines}\r\n</body>\r\n</html>\r\n"


def body_as(data: Fields, wanted: str) -> tuple[str, str]:
    """(BodyType, text) converted to the requested BodyType (page "BodyType")."""
    kind, value = str(data.get("BodyType") or "Text"), str(data.get("Body") or "")
    if wanted == "Text" and kind == "HTML":
        return "Text", html_to_text(value) if value else ""
    if wanted == "HTML" and kind == "Text":
        return "HTML", text_to_html(value) if value else ""
    return kind, value


def _mailbox(parent: ET.Element, name: str, email: str) -> None:
    mb = sub(parent, "t:Mailbox")
    sub(mb, "t:Name", name)
    sub(mb, "t:EmailAddress", email)
    sub(mb, "t:RoutingType", "SMTP")
    sub(mb, "t:MailboxType", "Mailbox")


def _occurrence(parent: ET.Element, tag: str, v: View) -> None:
    node = sub(parent, tag)
    sub(node, "t:ItemId", Id=v.id, ChangeKey=v.change_key)
    sub(node, "t:Start", fmt_datetime(v.data["Start"]))
    sub(node, "t:End", fmt_datetime(v.data["End"]))
    sub(node, "t:OriginalStart", fmt_datetime(v.data["OriginalStart"]))


def _rights(parent: ET.Element, can_write: bool) -> None:
    node = sub(parent, "t:EffectiveRights")
    for name, value in (
        ("CreateAssociated", False),
        ("CreateContents", False),
        ("CreateHierarchy", False),
        ("Delete", can_write),
        ("Modify", can_write),
        ("Read", True),
        ("ViewPrivateItems", True),
    ):
        sub(node, f"t:{name}", fmt_bool(value))


def my_response(data: Fields, owner: str) -> str:
    org = data.get("Organizer")
    if not org or str(org[1]).lower() == owner.lower():
        return "Organizer"
    for key in ("RequiredAttendees", "OptionalAttendees", "Resources"):
        for _name, email, response in data.get(key) or []:
            if str(email).lower() == owner.lower():
                return str(response)
    return "Unknown"


def _field(node: ET.Element, uri: str, v: View, ctx: RenderContext) -> None:  # noqa: C901
    d, item, name = v.data, v.item, uri.split(":", 1)[-1]
    tz = erec.zone(d.get("StartTimeZone"))
    if name == "ItemId":
        sub(node, "t:ItemId", Id=v.id, ChangeKey=v.change_key)
    elif name == "ParentFolderId":
        folder = ctx.store.folders.get(item.folder_id)
        sub(
            node,
            "t:ParentFolderId",
            Id=item.folder_id,
            ChangeKey=folder.change_key if folder else "",
        )
    elif name == "ItemClass":
        sub(node, "t:ItemClass", "IPM.Appointment")
    elif name in ("Subject", "Location", "UID", "Sensitivity", "Importance"):
        default = {"Sensitivity": "Normal", "Importance": "Normal"}.get(name)
        value = d.get(name, default)
        if value is not None:
            sub(node, f"t:{name}", str(value))
    elif name == "Body":
        kind, text = body_as(d, ctx.shape.body_type)
        sub(node, "t:Body", text, BodyType=kind, IsTruncated="false")
    elif name in ("DateTimeReceived", "DateTimeSent", "DateTimeCreated"):
        sub(node, f"t:{name}", fmt_datetime(item.created))
    elif name in ("LastModifiedTime", "DateTimeStamp"):
        sub(node, f"t:{name}", fmt_datetime(item.modified))
    elif name == "Size":
        sub(node, "t:Size", str(len(str(d.get("Body") or "")) + 512))
    elif name == "Categories":
        cats = d.get("Categories") or []
        if cats:
            parent = sub(node, "t:Categories")
            for c in cats:
                sub(parent, "t:String", c)
    elif name in ("ReminderIsSet", "IsAllDayEvent", "IsCancelled", "HasAttachments"):
        sub(node, f"t:{name}", fmt_bool(bool(d.get(name, False))))
    elif name in ("DisplayTo", "DisplayCc"):
        key = "RequiredAttendees" if name == "DisplayTo" else "OptionalAttendees"
        names = "; ".join(p[0] for p in d.get(key) or [])
        if names:
            sub(node, f"t:{name}", names)
    elif name == "IsAssociated":
        sub(node, "t:IsAssociated", "false")
    elif name == "ReminderMinutesBeforeStart":
        sub(node, f"t:{name}", str(int(d.get(name, 15))))
    elif name == "EffectiveRights":
        _rights(node, ctx.can_write(item))
    elif name in ("Start", "End"):
        sub(node, f"t:{name}", fmt_datetime(d[name]))
    elif name in ("OriginalStart", "RecurrenceId"):
        if d.get("OriginalStart") is not None:
            sub(node, f"t:{name}", fmt_datetime(d["OriginalStart"]))
    elif name == "LegacyFreeBusyStatus":
        sub(node, f"t:{name}", str(d.get(name) or "Busy"))
    elif name == "IsMeeting":
        sub(
            node,
            f"t:{name}",
            fmt_bool(bool(d.get("RequiredAttendees") or d.get("OptionalAttendees"))),
        )
    elif name == "IsRecurring":
        sub(node, f"t:{name}", fmt_bool(v.kind != "Single"))
    elif name in ("MeetingRequestWasSent", "IsOnlineMeeting"):
        sub(node, f"t:{name}", "false")
    elif name == "IsResponseRequested":
        sub(node, f"t:{name}", "true")
    elif name == "CalendarItemType":
        sub(node, f"t:{name}", v.kind)
    elif name == "MyResponseType":
        sub(node, f"t:{name}", my_response(d, ctx.owner_email))
    elif name == "Organizer":
        org = d.get("Organizer") or (ctx.owner_name, ctx.owner_email)
        _mailbox(sub(node, "t:Organizer"), org[0], org[1])
    elif name in ("RequiredAttendees", "OptionalAttendees", "Resources"):
        people = d.get(name) or []
        if people:
            parent = sub(node, f"t:{name}")
            for pname, email, response in people:
                att = sub(parent, "t:Attendee")
                _mailbox(att, pname, email)
                sub(att, "t:ResponseType", response)
    elif name == "Duration":
        secs = int((d["End"] - d["Start"]).total_seconds())
        sub(node, f"t:{name}", f"P{secs // 86400}DT{secs % 86400 // 3600}H{secs % 3600 // 60}M")
    elif name == "AppointmentSequenceNumber":
        sub(node, f"t:{name}", str(max(0, len(item.history) - 1)))
    elif name == "AppointmentState":
        meeting = bool(d.get("RequiredAttendees") or d.get("OptionalAttendees"))
        state = (1 if meeting else 0) | (2 if my_response(d, ctx.owner_email) != "Organizer" else 0)
        sub(node, f"t:{name}", str(state | (4 if d.get("IsCancelled") else 0)))
    elif v.kind == "RecurringMaster" and name in _MASTER_ONLY:
        _master_field(node, name, item, tz)
    elif name in ("StartTimeZoneId", "EndTimeZoneId"):
        zone_id = d.get(name[:-2]) or d.get("StartTimeZone") or "UTC"
        sub(node, f"t:{name}", str(zone_id))
    elif name in ("StartTimeZone", "EndTimeZone"):
        zone_id = d.get(name) or d.get("StartTimeZone") or "UTC"
        sub(node, f"t:{name}", Id=str(zone_id), Name=str(zone_id))


_MASTER_ONLY = (
    "Recurrence",
    "FirstOccurrence",
    "LastOccurrence",
    "ModifiedOccurrences",
    "DeletedOccurrences",
)


def _master_field(node: ET.Element, name: str, item: CalItem, tz: dt.tzinfo) -> None:
    if name == "Recurrence":
        erec.render(node, item.data["Recurrence"], tz)
    elif name == "FirstOccurrence":
        first = next((i for i in range(erec.count(item)) if erec.occurrence_times(item, i)), None)
        first_view = view_of(item, first) if first is not None else None
        if first_view is not None:
            _occurrence(node, "t:FirstOccurrence", first_view)
    elif name == "LastOccurrence":
        if item.data["Recurrence"]["range"]["type"] != "noEnd":
            total = erec.count(item)
            last = next((i for i in reversed(range(total)) if erec.occurrence_times(item, i)), None)
            last_view = view_of(item, last) if last is not None else None
            if last_view is not None:
                _occurrence(node, "t:LastOccurrence", last_view)
    elif name == "ModifiedOccurrences":
        mods = [
            view_of(item, i) for i in sorted(item.exceptions) if i not in item.deleted_occurrences
        ]
        if mods:
            parent = sub(node, "t:ModifiedOccurrences")
            for mv in mods:
                if mv is not None:
                    _occurrence(parent, "t:Occurrence", mv)
    elif name == "DeletedOccurrences" and item.deleted_occurrences:
        parent = sub(node, "t:DeletedOccurrences")
        for i in sorted(item.deleted_occurrences):
            start = erec.original_start(item, i)
            if start is not None:
                sub(sub(parent, "t:DeletedOccurrence"), "t:Start", fmt_datetime(start))


@dataclass
class RenderContext:
    store: Store
    shape: Shape
    owner_name: str
    owner_email: str
    extended_values: Any = None  # callable(View, ET.Element) -> str | None
    mime: Any = None  # callable(View) -> bytes

    def can_write(self, item: CalItem) -> bool:
        folder: Folder | None = self.store.folders.get(item.folder_id)
        return folder.can_write if folder is not None else True


def render(parent: ET.Element, v: View, ctx: RenderContext) -> ET.Element:
    if v.item.data.get("ItemClass") == "IPM.Contact":
        from sandbox.ews import contacts_xml  # contacts render as t:Contact

        return contacts_xml.render(parent, v, ctx)
    if v.item.data.get("ItemClass") == "IPM.Task":
        from sandbox.ews import tasks_items  # tasks render as t:Task

        return tasks_items.render(parent, v, ctx)
    node = sub(parent, "t:CalendarItem")
    shape = ctx.shape
    if shape.mime and ctx.mime is not None:
        sub(node, "t:MimeContent", base64.b64encode(ctx.mime(v)).decode(), CharacterSet="UTF-8")
    wanted = {"item:ItemId"}
    if shape.base == "AllProperties":
        wanted.update(ALL_FIELDS)
    elif shape.base == "Default":
        wanted.update(DEFAULT_FIELDS)
    wanted.update(shape.extra)
    names = {u.split(":", 1)[-1] for u in wanted}
    order = [u for u in ALL_FIELDS if u.split(":", 1)[-1] in names]
    order += sorted(u for u in wanted if u not in ALL_FIELDS)
    seen: set[str] = set()
    for uri in order:
        short = uri.split(":", 1)[-1]
        if short in seen:
            continue
        seen.add(short)
        if short == "ExtendedProperty":
            continue
        _field(node, uri, v, ctx)
    own = v.kind in ("Single", "RecurringMaster")  # stored on the item, not on occurrences
    stored = (v.item.data.get("Extended") or {}) if own else {}
    for ext in shape.extended:
        value = stored.get(extended_key(ext))
        if value is None and ctx.extended_values:
            value = ctx.extended_values(v, ext)
        if value is None:
            continue
        prop = sub(node, "t:ExtendedProperty")
        sub(prop, "t:ExtendedFieldURI", **dict(ext.attrib))
        sub(prop, "t:Value", value)
    return node
