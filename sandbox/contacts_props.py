"""Graph `contact` properties: validation of request bodies and rendering to Graph JSON.

Reproduced from resources/contact.md (v1.0) and the contact-get.md response example:
- the writable properties and their types (String, String collection, emailAddress collection,
  physicalAddress, DateTimeOffset `birthday`); read-only ones (`id`, `changeKey`,
  `createdDateTime`, `lastModifiedDateTime`, `parentFolderId`) are ignored in a body;
- an unknown property gives 400 `RequestBodyRead` ("Could not find a property named …"), the
  OData error Graph answers for bodies that do not fit the type;
- rendering follows the property order of the contact-get.md example, unset strings are null,
  unset collections [] and unset addresses {} (as that example shows), `fileAs` and
  `personalNotes` default to "";
- when a create has no displayName, Outlook composes it from the name parts
  (user-post-contacts.md: the response carries "Pavel Bansky" for givenName+surname).
`singleValueExtendedProperties` (resources/singlevaluelegacyextendedproperty.md) are accepted
in bodies as [{id, value}] and stored by the model; rendering them is opt-in ($expand).
This module must not hold state or know HTTP.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.gerrors import GraphError, bad_request

STRING_PROPS = (
    "fileAs",
    "displayName",
    "givenName",
    "initials",
    "middleName",
    "nickName",
    "surname",
    "title",
    "yomiGivenName",
    "yomiSurname",
    "yomiCompanyName",
    "generation",
    "jobTitle",
    "companyName",
    "department",
    "officeLocation",
    "profession",
    "businessHomePage",
    "assistantName",
    "manager",
    "mobilePhone",
    "spouseName",
    "personalNotes",
)
LIST_PROPS = ("categories", "imAddresses", "homePhones", "businessPhones", "children")
ADDRESS_PROPS = ("homeAddress", "businessAddress", "otherAddress")
ADDRESS_KEYS = ("street", "city", "state", "countryOrRegion", "postalCode")
READ_ONLY = ("id", "changeKey", "createdDateTime", "lastModifiedDateTime", "parentFolderId")
EXTENDED = "singleValueExtendedProperties"

# the property order of the contact-get.md response example
RENDER_ORDER = (
    "categories",
    "parentFolderId",
    "birthday",
    "fileAs",
    "displayName",
    "givenName",
    "initials",
    "middleName",
    "nickName",
    "surname",
    "title",
    "yomiGivenName",
    "yomiSurname",
    "yomiCompanyName",
    "generation",
    "imAddresses",
    "jobTitle",
    "companyName",
    "department",
    "officeLocation",
    "profession",
    "businessHomePage",
    "assistantName",
    "manager",
    "homePhones",
    "mobilePhone",
    "businessPhones",
    "spouseName",
    "personalNotes",
    "children",
    "emailAddresses",
    "homeAddress",
    "businessAddress",
    "otherAddress",
)


def _unknown(name: str) -> GraphError:
    return bad_request(
        f"Could not find a property named '{name}' on type 'microsoft.graph.contact'.",
        "RequestBodyRead",
    )


def _type_error(name: str, expected: str) -> GraphError:
    return bad_request(
        f"Cannot convert the literal value of property '{name}' to the expected type '{expected}'.",
        "RequestBodyRead",
    )


def parse_birthday(value: str) -> str:
    """A DateTimeOffset in UTC as Graph renders it ("2016-10-19T10:37:00Z")."""
    text = value.strip().replace("Z", "+00:00")
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = head + rest[len(digits) :]
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise _type_error("birthday", "Edm.DateTimeOffset") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(property changes, extended property changes) of a POST/PATCH body."""
    props: dict[str, Any] = {}
    ext: dict[str, str] = {}
    for name, value in body.items():
        if name.startswith("@odata.") or name in READ_ONLY:
            continue
        if name in STRING_PROPS:
            if value is not None and not isinstance(value, str):
                raise _type_error(name, "Edm.String")
            props[name] = value
        elif name in LIST_PROPS:
            if value is None:
                value = []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _type_error(name, "Collection(Edm.String)")
            props[name] = list(value)
        elif name in ADDRESS_PROPS:
            props[name] = _address(name, value)
        elif name == "emailAddresses":
            props[name] = _emails(value)
        elif name == "birthday":
            if value is not None and not isinstance(value, str):
                raise _type_error(name, "Edm.DateTimeOffset")
            props[name] = parse_birthday(value) if value else None
        elif name == EXTENDED:
            ext.update(_extended(value))
        else:
            raise _unknown(name)
    return props, ext


def _address(name: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _type_error(name, "microsoft.graph.physicalAddress")
    out: dict[str, str] = {}
    for key, part in value.items():
        if key.startswith("@odata."):
            continue
        if key not in ADDRESS_KEYS:
            raise bad_request(
                f"Could not find a property named '{key}' on type "
                "'microsoft.graph.physicalAddress'.",
                "RequestBodyRead",
            )
        if part is not None and not isinstance(part, str):
            raise _type_error(key, "Edm.String")
        if part:
            out[key] = part
    return out


def _emails(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _type_error("emailAddresses", "Collection(microsoft.graph.emailAddress)")
    out = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("address", ""), str):
            raise _type_error("emailAddresses", "Collection(microsoft.graph.emailAddress)")
        out.append({"name": str(entry.get("name") or ""), "address": str(entry["address"])})
    return out


def _extended(value: Any) -> dict[str, str]:
    if not isinstance(value, list):
        raise _type_error(EXTENDED, "Collection(microsoft.graph.singleValueLegacyExtendedProperty)")
    out = {}
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise bad_request("An extended property needs an 'id'.", "ErrorInvalidProperty")
        out[entry["id"]] = "" if entry.get("value") is None else str(entry["value"])
    return out


def compose_display_name(props: dict[str, Any]) -> str:
    parts = [props.get(k) for k in ("givenName", "middleName", "surname")]
    return " ".join(p for p in parts if p)


def render(
    props: dict[str, Any],
    *,
    contact_id: str,
    change_key: str,
    created: str,
    modified: str,
    folder_id: str,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@odata.etag": f'W/"{change_key}"',
        "id": contact_id,
        "createdDateTime": created,
        "lastModifiedDateTime": modified,
        "changeKey": change_key,
    }
    for name in RENDER_ORDER:
        if name == "parentFolderId":
            out[name] = folder_id
        elif name in LIST_PROPS:
            out[name] = list(props.get(name) or [])
        elif name in ADDRESS_PROPS:
            out[name] = dict(props.get(name) or {})
        elif name == "emailAddresses":
            out[name] = [dict(e) for e in props.get(name) or []]
        elif name in ("fileAs", "personalNotes"):
            out[name] = props.get(name) or ""
        else:
            out[name] = props.get(name)
    return out


def select(rendered: dict[str, Any], select_param: str | None) -> dict[str, Any]:
    """`$select`: the named properties; `id` and `@odata.etag` always stay (contact-delta.md)."""
    if not select_param:
        return rendered
    wanted = {s.strip().lower() for s in select_param.split(",") if s.strip()}
    return {
        k: v
        for k, v in rendered.items()
        if k in ("id", "@odata.etag", "@removed") or k.lower() in wanted
    }
