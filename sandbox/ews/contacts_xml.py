"""Render contact items as `t:Contact` for GetItem, FindItem and SyncFolderItems.

Element names and order per web-service-reference "Contact" (ItemType elements first, then
FileAs … Surname …), "CompleteName" (derived, read-only), "EmailAddresses" / "Entry
(EmailAddress)", "PhoneNumbers" / "Entry (PhoneNumber)", "PhysicalAddresses" / "Entry
(PhysicalAddress)" (Street, City, State, CountryOrRegion, PostalCode), "Birthday" (xs:dateTime),
"ExtendedProperty". Shapes: IdOnly, Default (names, company, emails, phones — like Exchange's
default contact shape), AllProperties, plus AdditionalProperties; an IndexedFieldURI asks for its
whole dictionary. This module must not change the store.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sandbox.ews.contacts_model import ADDRESS_PARTS, INDEXED, extended_key
from sandbox.ews.itemxml import RenderContext, View, body_as
from sandbox.ews.soap import fmt_bool, fmt_datetime, sub

ORDER = (
    "ItemId",
    "ParentFolderId",
    "ItemClass",
    "Subject",
    "Sensitivity",
    "Body",
    "DateTimeReceived",
    "Size",
    "Categories",
    "Importance",
    "DateTimeSent",
    "DateTimeCreated",
    "HasAttachments",
    "ExtendedProperty",
    "Culture",
    "EffectiveRights",
    "LastModifiedTime",
    "IsAssociated",
    "FileAs",
    "FileAsMapping",
    "DisplayName",
    "GivenName",
    "Initials",
    "MiddleName",
    "Nickname",
    "CompleteName",
    "CompanyName",
    "EmailAddresses",
    "PhysicalAddresses",
    "PhoneNumbers",
    "AssistantName",
    "Birthday",
    "BusinessHomePage",
    "Children",
    "Companies",
    "ContactSource",
    "Department",
    "Generation",
    "ImAddresses",
    "JobTitle",
    "Manager",
    "Mileage",
    "OfficeLocation",
    "PostalAddressIndex",
    "Profession",
    "SpouseName",
    "Surname",
    "WeddingAnniversary",
    "HasPicture",
)
DEFAULT = {
    "ItemId",
    "ParentFolderId",
    "FileAs",
    "DisplayName",
    "GivenName",
    "Surname",
    "CompanyName",
    "EmailAddresses",
    "PhoneNumbers",
}
_SIMPLE = {
    "Subject",
    "Sensitivity",
    "Importance",
    "FileAs",
    "FileAsMapping",
    "DisplayName",
    "GivenName",
    "Initials",
    "MiddleName",
    "Nickname",
    "CompanyName",
    "AssistantName",
    "BusinessHomePage",
    "Department",
    "Generation",
    "JobTitle",
    "Manager",
    "Mileage",
    "OfficeLocation",
    "PostalAddressIndex",
    "Profession",
    "SpouseName",
    "Surname",
}


def _wanted(ctx: RenderContext) -> set[str]:
    shape = ctx.shape
    wanted = {"ItemId"}
    if shape.base == "AllProperties":
        wanted.update(ORDER)
        wanted.discard("ExtendedProperty")
    elif shape.base == "Default":
        wanted.update(DEFAULT)
    for uri in shape.extra:
        name = uri.split(":")[1] if uri.count(":") >= 1 else uri
        wanted.add(
            {
                "EmailAddress": "EmailAddresses",
                "PhoneNumber": "PhoneNumbers",
                "PhysicalAddress": "PhysicalAddresses",
                "ImAddress": "ImAddresses",
                "Notes": "Body",
            }.get(name, name)
        )
    return wanted


def _complete_name(node: ET.Element, d: dict[str, object]) -> None:
    """CompleteName is derived from the name fields (page "CompleteName")."""
    parent = sub(node, "t:CompleteName")
    for tag, key in (
        ("FirstName", "GivenName"),
        ("MiddleName", "MiddleName"),
        ("LastName", "Surname"),
        ("Suffix", "Generation"),
        ("Initials", "Initials"),
        ("FullName", "DisplayName"),
        ("Nickname", "Nickname"),
    ):
        if d.get(key):
            sub(parent, f"t:{tag}", str(d[key]))


def _dictionary(node: ET.Element, name: str, entries: dict[str, object]) -> None:
    if not entries:
        return
    parent = sub(node, f"t:{name}")
    for key in INDEXED[name]:
        value = entries.get(key)
        if value is None:
            continue
        if isinstance(value, dict):
            entry = sub(parent, "t:Entry", Key=key)
            for part in ADDRESS_PARTS:
                if value.get(part):
                    sub(entry, f"t:{part}", str(value[part]))
        else:
            sub(parent, "t:Entry", str(value), Key=key)


def _extended(node: ET.Element, v: View, ctx: RenderContext) -> None:
    stored = v.item.data.get("Extended") or {}
    for ext in ctx.shape.extended:
        value = stored.get(extended_key(ext))
        if value is None and ctx.extended_values is not None:
            value = ctx.extended_values(v, ext)
        if value is None:
            continue
        prop = sub(node, "t:ExtendedProperty")
        sub(prop, "t:ExtendedFieldURI", **dict(ext.attrib))
        sub(prop, "t:Value", str(value))


def render(parent: ET.Element, v: View, ctx: RenderContext) -> ET.Element:  # noqa: C901
    node = sub(parent, "t:Contact")
    item, d = v.item, v.item.data
    wanted = _wanted(ctx)
    for name in ORDER:
        if name == "ExtendedProperty":
            _extended(node, v, ctx)
            continue
        if name not in wanted:
            continue
        if name == "ItemId":
            sub(node, "t:ItemId", Id=item.id, ChangeKey=item.change_key)
        elif name == "ParentFolderId":
            folder = ctx.store.folders.get(item.folder_id)
            sub(
                node,
                "t:ParentFolderId",
                Id=item.folder_id,
                ChangeKey=folder.change_key if folder else "",
            )
        elif name == "ItemClass":
            sub(node, "t:ItemClass", "IPM.Contact")
        elif name in _SIMPLE:
            default = {"Sensitivity": "Normal", "Importance": "Normal"}.get(name)
            value = d.get(name, default)
            if value not in (None, ""):
                sub(node, f"t:{name}", str(value))
        elif name == "Body":
            kind, text = body_as(d, ctx.shape.body_type)
            sub(node, "t:Body", text, BodyType=kind, IsTruncated="false")
        elif name in ("DateTimeReceived", "DateTimeSent", "DateTimeCreated"):
            sub(node, f"t:{name}", fmt_datetime(item.created))
        elif name == "LastModifiedTime":
            sub(node, "t:LastModifiedTime", fmt_datetime(item.modified))
        elif name == "Size":
            sub(node, "t:Size", str(len(str(d)) + 256))
        elif name in ("Categories", "Children", "Companies"):
            values = d.get(name) or []
            if values:
                lst = sub(node, f"t:{name}")
                for value in values:
                    sub(lst, "t:String", str(value))
        elif name in ("HasAttachments", "IsAssociated", "HasPicture"):
            sub(node, f"t:{name}", "false")
        elif name == "Culture":
            sub(node, "t:Culture", "en-US")
        elif name == "EffectiveRights":
            rights = sub(node, "t:EffectiveRights")
            writable = ctx.can_write(item)
            for right, value in (
                ("CreateAssociated", False),
                ("CreateContents", False),
                ("CreateHierarchy", False),
                ("Delete", writable),
                ("Modify", writable),
                ("Read", True),
            ):
                sub(rights, f"t:{right}", fmt_bool(value))
        elif name == "CompleteName":
            _complete_name(node, d)
        elif name in INDEXED:
            _dictionary(node, name, d.get(name) or {})
        elif name in ("Birthday", "WeddingAnniversary"):
            if d.get(name) is not None:
                sub(node, f"t:{name}", fmt_datetime(d[name]))
        elif name == "ContactSource":
            sub(node, "t:ContactSource", "Store")
    return node
