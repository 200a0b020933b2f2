"""Turning a provider's item into what the mirror stores: enrichment (once, deterministic),
the enclosing time range and the component name — so serving never parses iCalendar.

Must not do I/O.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import icalendar
from cachetools import TTLCache

from bridge import joinlinks
from bridge.ical import itip
from bridge.ical.limits import ItemLimits, limit_provider_text
from bridge.ical.private import redact_private
from bridge.ical.timerange import enclosing_range
from bridge.joinlinks.enrich import DEFAULT_OPTIONS, EnrichOptions
from bridge.joinlinks.record import Enrichment, remove_enrichment
from bridge.model import RemoteItem
from bridge.store import ItemDraft

_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL", "VCARD")
log = logging.getLogger("davbridge.sync")
# (remote id, version) of provider items already logged as past a limit: logged once each
_LOGGED: TTLCache[tuple[str, str], bool] = TTLCache(maxsize=10_000, ttl=7 * 86400)


def _log_once(item: RemoteItem, what: str) -> None:
    key = (item.remote_id, item.version)
    if key not in _LOGGED:
        _LOGGED[key] = True
        log.warning("provider item %s is past a limit and served shortened: %s", item.uid, what)


def main_component(text: str) -> str:
    """The first content component of a VCALENDAR/VCARD text, without parsing it."""
    best = len(text) + 1
    found = ""
    for name in _COMPONENTS:
        pos = text.find("BEGIN:" + name)
        if 0 <= pos < best:
            best, found = pos, name
    return found


def with_uid(item: RemoteItem, uid: str) -> RemoteItem:
    """The item as its DAV client named it: a provider that assigns its own UID on create
    (Graph's iCalUId is read-only) must not change the UID a client chose."""
    if item.uid == uid:
        return item
    cal = icalendar.Calendar.from_ical(item.ical)
    for component in cal.subcomponents:
        if "UID" in component:
            component["UID"] = icalendar.vText(uid)
    return dataclasses.replace(item, uid=uid, ical=cal.to_ical().decode("utf-8"))


@dataclass(frozen=True)
class CalendarConversion:
    """draft_from_remote's arguments for one collection's items. Picklable: it also runs in
    the conversion worker (sync/convert_pool.py), with the same result."""

    emails: tuple[str, ...]
    aliases: Mapping[str, str]  # remote id -> the UID a DAV client chose (the mirror's)
    limits: ItemLimits
    options: EnrichOptions
    redact: bool

    def __call__(self, item: RemoteItem, found: Mapping[str, str] | None = None) -> ItemDraft:
        """The draft of `item`; `found`: meeting aliases (the mirror's win over them)."""
        aliases = {**found, **self.aliases} if found else self.aliases
        return draft_from_remote(item, self.emails, aliases, self.limits, self.options, self.redact)

    def narrowed(self, items: Sequence[RemoteItem], found: Mapping[str, str]) -> CalendarConversion:
        """The same conversion for `items` only: with just their aliases (`found` merged),
        so that what goes to the worker does not grow with the collection."""
        ids = {item.remote_id for item in items}
        mine = {rid: uid for rid, uid in found.items() if rid in ids}
        mine.update((rid, uid) for rid, uid in self.aliases.items() if rid in ids)
        return dataclasses.replace(self, aliases=mine)


def draft_from_remote(
    item: RemoteItem,
    account_emails: Sequence[str],
    aliases: Mapping[str, str] | None = None,
    limits: ItemLimits | None = None,
    options: EnrichOptions = DEFAULT_OPTIONS,
    redact: bool = False,
) -> ItemDraft:
    """The mirror's copy of a provider calendar item: within `limits` (what is past them is
    left out, logged once), enriched, with its time range and the record of what enrichment
    added (so that the write path removes exactly that). `redact`: private events become busy
    blocks (bridge.ical.private) before enrichment sees them and again after it, so nothing of
    them enters the mirror (issue 15)."""
    alias = (aliases or {}).get(item.remote_id)
    if alias is not None:
        item = with_uid(item, alias)
    source = redact_private(item.ical) if redact else item.ical
    bounded, exceeded = limit_provider_text(source, limits or ItemLimits())
    if exceeded:
        _log_once(item, "; ".join(e.describe() for e in exceeded))
    # RFC 6638 §3.2.9 before enrichment: the enrichment record then describes exactly what it
    # added to the text it was given, so the write path and re-rendering remove just that
    # (SCHEDULE-STATUS re-serialises the calendar, which moved the join block's lines)
    scheduled = itip.with_schedule_status(bounded, account_emails)
    enriched = joinlinks.enrich_with_record(scheduled, account_emails, options)
    text = redact_private(enriched.text) if redact else enriched.text
    # the mapping's range of what it built (a superset when limits dropped components: safe)
    start, end = item.span if item.span is not None else enclosing_range(text)
    return ItemDraft(
        uid=item.uid,
        remote_id=item.remote_id,
        version=item.version,
        text=text,
        component=main_component(text) or "VEVENT",
        start=start,
        end=end,
        members=item.member_ids,
        added=enriched.record.to_json(),
    )


def rerendered(
    draft_text: str,
    record: str | None,
    account_emails: Sequence[str],
    options: EnrichOptions,
    redact: bool = False,
) -> tuple[str, str] | None:
    """(text, record) of a mirrored event enriched again with other `options`; None when its
    record is unknown (the next pull renders it). The provider's text is what the client would
    send back unchanged: the served text without what the record says was added."""
    if record is None:
        return None
    source = remove_enrichment(draft_text, Enrichment.from_json(record))
    enriched = joinlinks.enrich_with_record(source, account_emails, options)
    text = redact_private(enriched.text) if redact else enriched.text
    return text, enriched.record.to_json()


#: A contact has no time: an enclosing range no time-range filter can exclude.
ALL_TIME = (-62135596800, 253402300799)


def draft_from_contact(
    item: RemoteItem,
    region: str,
    aliases: Mapping[str, str] | None = None,
    max_tels: int | None = None,
) -> ItemDraft:
    """The mirror's copy of a provider contact, with its numbers for caller lookup (K4):
    the first `max_tels` are indexed (the card is served whole; more is logged once)."""
    from bridge.contacts.phones import phone_entries, tel_count
    from bridge.contacts.searchable import search_texts

    text = item.ical
    uid = (aliases or {}).get(item.remote_id, item.uid)
    if uid != item.uid:
        text = _replace_vcard_uid(text, uid)
    phones = phone_entries(text, region, max_tels)
    if max_tels is not None and len(phones) >= max_tels and tel_count(text) > max_tels:
        _log_once(item, f"[limits] tels_per_contact = {max_tels} (the contact has more)")
    return ItemDraft(
        uid=uid,
        remote_id=item.remote_id,
        version=item.version,
        text=text,
        component="VCARD",
        start=ALL_TIME[0],
        end=ALL_TIME[1],
        phones=phones,
        texts=search_texts(text),
    )


def _replace_vcard_uid(text: str, uid: str) -> str:
    """The card with its UID line (and that line's folded continuations) replaced."""
    out: list[str] = []
    skipping = False
    for line in text.split("\r\n"):
        if skipping and line.startswith((" ", "\t")):
            continue
        skipping = line.upper().startswith("UID:")
        out.append(f"UID:{uid}" if skipping else line)
    return "\r\n".join(out)
