"""ConvertId, ResolveNames, GetUserOofSettings and GetServerTimeZones as clients use them.

ConvertId (web-service-reference "ConvertId operation"): exchangelib probes with a dummy id to
read ServerVersionInfo (an error message is fine); DavMail converts a folder id to learn the
mailbox address from `AlternateId@Mailbox`. ResolveNames ("ResolveNames operation"): one match
-> Success, several -> Warning ErrorNameResolutionMultipleResults, none -> Error
ErrorNameResolutionNoResults. This module must not change the store.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from sandbox.ews.soap import EwsError, Request, error, local, m, sub, success, t

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def convert_id(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    dest = req.body.get("DestinationFormat", "EwsId")
    ids = req.body.find(m("SourceIds"))
    for elem in ids if ids is not None else []:
        value = elem.get("Id", "")
        known = value in svc.store.folders or value in svc.store.items
        if not known:
            error(msgs, "ConvertId", EwsError("ErrorInvalidIdMalformed", "Id is malformed."))
            continue
        msg = success(msgs, "ConvertId")
        out = sub(msg, "m:AlternateId")
        out.set(f"{{{XSI}}}type", "t:AlternateIdType")
        out.set("Format", dest)
        out.set("Id", value)
        out.set("Mailbox", svc.owner_email)
    return env


def _directory(svc: EwsService) -> list[tuple[str, str]]:
    people = [(svc.owner_name, svc.owner_email)]
    seen = {svc.owner_email.lower()}
    for item in svc.store.items.values():
        for key in ("RequiredAttendees", "OptionalAttendees", "Resources"):
            for name, email, _ in item.data.get(key) or []:
                if email.lower() not in seen and email.lower().endswith("@contoso.example"):
                    seen.add(email.lower())
                    people.append((name, email))
    return sorted(people)


def resolve_names(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    query = (req.body.findtext(m("UnresolvedEntry")) or "").strip().lower()
    if query.startswith("smtp:"):
        query = query[5:]
    hits = [
        (name, email)
        for name, email in _directory(svc)
        if query
        and (
            email.lower().startswith(query)
            or any(part.lower().startswith(query) for part in name.split())
            or name.lower().startswith(query)
        )
    ]
    if not hits:
        error(
            msgs, "ResolveNames", EwsError("ErrorNameResolutionNoResults", "No results were found.")
        )
        return env
    if len(hits) == 1:
        msg = success(msgs, "ResolveNames")
    else:
        msg = sub(msgs, "m:ResolveNamesResponseMessage", ResponseClass="Warning")
        sub(msg, "m:MessageText", "Multiple results were found.")
        sub(msg, "m:ResponseCode", "ErrorNameResolutionMultipleResults")
        sub(msg, "m:DescriptiveLinkKey", "0")
    full = req.body.get("ReturnFullContactData", "false").lower() in ("1", "true")
    rs = sub(
        msg,
        "m:ResolutionSet",
        TotalItemsInView=str(len(hits)),
        IncludesLastItemInRange="true",
    )
    for name, email in hits:
        res = sub(rs, "t:Resolution")
        mb = sub(res, "t:Mailbox")
        sub(mb, "t:Name", name)
        sub(mb, "t:EmailAddress", email)
        sub(mb, "t:RoutingType", "SMTP")
        sub(mb, "t:MailboxType", "Mailbox")
        if full:
            contact = sub(res, "t:Contact")
            sub(contact, "t:DisplayName", name)
            given, _, surname = name.partition(" ")
            sub(contact, "t:GivenName", given)
            addrs = sub(contact, "t:EmailAddresses")
            sub(addrs, "t:Entry", f"SMTP:{email}", Key="EmailAddress1")
            sub(contact, "t:ContactSource", "ActiveDirectory")
            sub(contact, "t:Surname", surname)
    return env


def get_user_oof_settings(svc: EwsService, req: Request) -> ET.Element:
    """Not in ResponseMessages: a bare ResponseMessage plus OofSettings (page
    "GetUserOofSettings operation")."""
    env, msgs = svc.envelope(req)
    body = env[1][0]  # <m:GetUserOofSettingsResponse>
    body.remove(msgs)
    rm = sub(body, "m:ResponseMessage", ResponseClass="Success")
    sub(rm, "m:ResponseCode", "NoError")
    oof = ET.SubElement(body, t("OofSettings"))
    sub(oof, "t:OofState", "Disabled")
    sub(oof, "t:ExternalAudience", "All")
    sub(oof, "t:InternalReply").append(ET.Element(t("Message")))
    sub(oof, "t:ExternalReply").append(ET.Element(t("Message")))
    sub(body, "m:AllowExternalOof", "All")
    return env


def get_server_time_zones(svc: EwsService, req: Request) -> ET.Element:
    env, msgs = svc.envelope(req)
    msg = success(msgs, "GetServerTimeZones")
    defs = sub(msg, "m:TimeZoneDefinitions")
    ids = req.body.find(m("Ids"))
    for elem in ids if ids is not None else []:
        if local(elem) == "Id" and elem.text:
            sub(defs, "t:TimeZoneDefinition", Id=elem.text.strip(), Name=elem.text.strip())
    return env


OWA_OPTIONS = (("timezone", "Pacific Standard Time"), ("timeformat", "h:mm tt"))


def get_user_configuration(svc: EwsService, req: Request) -> ET.Element:
    """OWA.UserOptions (DavMail reads the mailbox time zone from it, key "timezone"); other
    configuration objects do not exist (ErrorItemNotFound), page "GetUserConfiguration
    operation"."""
    env, msgs = svc.envelope(req)
    name_elem = req.body.find(m("UserConfigurationName"))
    name = name_elem.get("Name", "") if name_elem is not None else ""
    folder_elem = next(iter(name_elem), None) if name_elem is not None else None
    try:
        folder = svc.folder_of(folder_elem) if folder_elem is not None else None
        if name != "OWA.UserOptions" or folder is None or folder.distinguished != "root":
            raise EwsError("ErrorItemNotFound", "The specified object was not found in the store.")
    except EwsError as exc:
        error(msgs, "GetUserConfiguration", exc)
        return env
    msg = success(msgs, "GetUserConfiguration")
    conf = sub(msg, "m:UserConfiguration")
    ucn = sub(conf, "t:UserConfigurationName", Name=name)
    sub(ucn, "t:FolderId", Id=folder.id, ChangeKey=folder.change_key)
    dictionary = sub(conf, "t:Dictionary")
    for key, value in OWA_OPTIONS:
        entry = sub(dictionary, "t:DictionaryEntry")
        k = sub(entry, "t:DictionaryKey")
        sub(k, "t:Type", "String")
        sub(k, "t:Value", key)
        v = sub(entry, "t:DictionaryValue")
        sub(v, "t:Type", "String")
        sub(v, "t:Value", value)
    return env


HANDLERS = {
    "GetUserConfiguration": get_user_configuration,
    "ConvertId": convert_id,
    "ResolveNames": resolve_names,
    "GetUserOofSettings": get_user_oof_settings,
    "GetServerTimeZones": get_server_time_zones,
}
