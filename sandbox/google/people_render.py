"""Person and ContactGroup resources as the People API returns them.

Adds the output-only members Google computes (Person reference): `metadata.sources` (type
CONTACT, id, etag, updateTime), per-entry `metadata` (primary/source), `names[].displayName`
and `displayNameLastFirst` (and `unstructuredName` when only it was written, parsed into given
and family name), `phoneNumbers[].canonicalForm` (E.164 by libphonenumber, as Google does, read
in the account's region; absent when the number cannot be read), `formattedType`, an address'
`formattedValue`, `memberships` with `contactGroupId`, and `photos` (a user photo, else the
generated default avatar with `default: true`). `personFields` restricts what is returned
(`resourceName` and `etag` always). This module must not write to the store.
"""

from __future__ import annotations

import copy
from typing import Any

import phonenumbers

from sandbox.google.people_errors import invalid
from sandbox.google.people_model import (
    READABLE,
    SYSTEM_NAMES,
    Contact,
    Group,
    PeopleStore,
)

FORMATTED_TYPES = {
    "home": "Home",
    "work": "Work",
    "other": "Other",
    "mobile": "Mobile",
    "homeFax": "Home Fax",
    "workFax": "Work Fax",
    "otherFax": "Other Fax",
    "pager": "Pager",
    "workMobile": "Work Mobile",
    "workPager": "Work Pager",
    "main": "Main",
    "googleVoice": "Google Voice",
    "school": "School",
    "homePage": "Home Page",
    "blog": "Blog",
    "profile": "Profile",
    "anniversary": "Anniversary",
    "spouse": "Spouse",
    "child": "Child",
    "mother": "Mother",
    "father": "Father",
    "assistant": "Assistant",
    "manager": "Manager",
}
PHOTO_PATH = "/people-photos/"


def parse_fields(raw: str | None, required: bool = True) -> list[str]:
    """A personFields mask; 400 when required and missing or when a path is unknown."""
    names = [p.strip() for p in (raw or "").split(",") if p.strip()]
    names = [p.removeprefix("person.") for p in names]
    if not names and required:
        raise invalid("personFields mask is required. Please specify one or more valid paths.")
    bad = [p for p in names if p not in READABLE]
    if bad:
        raise invalid(f'Invalid personFields mask path: "{bad[0]}".')
    return names


def canonical(value: str, region: str) -> str | None:
    try:
        num = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def _compose(name: dict[str, Any]) -> str:
    parts = [name.get(k) for k in ("honorificPrefix", "givenName", "middleName", "familyName")]
    text = " ".join(str(p) for p in parts if p)
    suffix = name.get("honorificSuffix")
    return f"{text}, {suffix}" if suffix and text else (text or str(suffix or ""))


def _name(entry: dict[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    structured = ("givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix")
    unstructured = str(out.get("unstructuredName") or "").strip()
    if unstructured and not any(out.get(k) for k in structured):
        words = unstructured.split()
        if len(words) > 1:
            out["givenName"], out["familyName"] = " ".join(words[:-1]), words[-1]
        else:
            out["givenName"] = unstructured
    display = unstructured or _compose(out)
    family, rest = (
        out.get("familyName"),
        " ".join(str(out[k]) for k in ("givenName", "middleName") if out.get(k)),
    )
    out["displayName"] = display
    out["displayNameLastFirst"] = f"{family}, {rest}" if family and rest else display
    out["unstructuredName"] = display
    return out


def _address(entry: dict[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    if not out.get("formattedValue"):
        line2 = " ".join(
            p
            for p in (str(out.get("city") or "") + ",", out.get("region"), out.get("postalCode"))
            if p and p != ","
        )
        lines = [out.get("poBox"), out.get("streetAddress"), out.get("extendedAddress"), line2]
        lines.append(out.get("country") or out.get("countryCode"))
        out["formattedValue"] = "\n".join(str(x).rstrip(",") for x in lines if x)
    return out


def _entries(store: PeopleStore, contact: Contact, name: str) -> list[dict[str, Any]]:
    source = {"type": "CONTACT", "id": contact.source_id}
    out = []
    for i, entry in enumerate(contact.data.get(name) or []):
        item = copy.deepcopy(entry)
        if name == "names":
            item = _name(item)
        elif name == "addresses":
            item = _address(item)
        elif name == "phoneNumbers":
            form = canonical(str(item.get("value") or ""), store.region)
            if form:
                item["canonicalForm"] = form
        kind = item.get("type")
        if isinstance(kind, str) and kind:
            item["formattedType"] = FORMATTED_TYPES.get(kind, kind)
        meta: dict[str, Any] = {"source": dict(source)}
        if i == 0:
            meta = {"primary": True, "sourcePrimary": True, **meta}
        out.append({"metadata": meta, **item})
    return out


def photo_url(base_url: str, key: str) -> str:
    return f"{base_url}{PHOTO_PATH}{key}"


def render_person(
    store: PeopleStore, contact: Contact, fields: list[str], base_url: str
) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceName": contact.resource_name, "etag": contact.etag}
    meta: dict[str, Any] = {
        "sources": [
            {
                "type": "CONTACT",
                "id": contact.source_id,
                "etag": contact.source_etag,
                "updateTime": contact.update_time,
            }
        ],
        "objectType": "PERSON",
    }
    if contact.deleted:
        meta["deleted"] = True
        out["metadata"] = meta
        return out
    for name in sorted(set(fields)):
        if name == "metadata":
            out["metadata"] = meta
        elif name == "memberships":
            out["memberships"] = [
                {
                    "metadata": {"source": {"type": "CONTACT", "id": contact.source_id}},
                    "contactGroupMembership": {
                        "contactGroupId": gid,
                        "contactGroupResourceName": f"contactGroups/{gid}",
                    },
                }
                for gid in contact.groups
            ]
        elif name == "photos":
            out["photos"] = [_photo(contact, base_url)]
        elif contact.data.get(name):
            out[name] = _entries(store, contact, name)
    return out


def _photo(contact: Contact, base_url: str) -> dict[str, Any]:
    meta = {"primary": True, "source": {"type": "CONTACT", "id": contact.source_id}}
    if contact.photo:
        return {"metadata": meta, "url": photo_url(base_url, contact.photo)}
    return {
        "metadata": meta,
        "url": photo_url(base_url, f"default-{contact.source_id}"),
        "default": True,
    }


def render_group(
    store: PeopleStore, grp: Group, max_members: int = 0, group_fields: list[str] | None = None
) -> dict[str, Any]:
    wanted = set(group_fields or ("metadata", "groupType", "memberCount", "name"))
    out: dict[str, Any] = {"resourceName": grp.resource_name, "etag": grp.etag}
    if "metadata" in wanted and (grp.update_time or grp.deleted):
        meta: dict[str, Any] = {}
        if grp.update_time:
            meta["updateTime"] = grp.update_time
        if grp.deleted:
            meta["deleted"] = True
        out["metadata"] = meta
    if "groupType" in wanted:
        out["groupType"] = grp.group_type
    if "name" in wanted:
        out["name"] = grp.name
        out["formattedName"] = SYSTEM_NAMES.get(grp.id, grp.name)
        if grp.group_type == "USER_CONTACT_GROUP":
            out["formattedName"] = grp.name
    if "memberCount" in wanted:
        count = store.member_count(grp)
        if count:
            out["memberCount"] = count
    if max_members > 0:
        members = [c.resource_name for c in store.live() if grp.id in c.groups]
        if members:
            out["memberResourceNames"] = members[:max_members]
    return out
