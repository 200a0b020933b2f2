"""One Google Calendar event (with its series' exceptions) as the RemoteItem the bridge mirrors.

What it does: `google_item` renders the event (mapping_read) with the stored overlay of a
client's extra properties (the master's private extended properties, C10) and names the
versions (etags) the item was built from; `single_or_skip` does it for a single event of a
listing page, in the worker process too (bridge/offload.py: a picklable, pure function of the
JSON the provider fetched).
What it must not do: any I/O — everything it needs is in its arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bridge.errors import IncompleteItem
from bridge.ical import overlay
from bridge.model import RemoteItem, SyncWindow
from bridge.providers.common.versions import encode_versions
from bridge.providers.google.mapping_read import google_rendering
from bridge.providers.google.provider_support import OVERLAY_PREFIX

log = logging.getLogger("bridge.providers.google.provider")


def stored_overlay(event: Mapping[str, Any]) -> str:
    private = (event.get("extendedProperties") or {}).get("private")
    return overlay.from_keyed(private if isinstance(private, dict) else None, OVERLAY_PREFIX)


def google_item(
    event: Mapping[str, Any], exceptions: Sequence[Mapping[str, Any]], window: SyncWindow
) -> RemoteItem:
    if not event.get("id"):
        raise IncompleteItem("google", "", "id")
    event_id = str(event["id"])
    members = [e for e in exceptions if e.get("recurringEventId") == event_id]
    versions = {event_id: str(event.get("etag") or "")}
    versions.update({str(e["id"]): str(e.get("etag") or "") for e in members})
    # The lossless overlay lives in the master's private extended properties (C10).
    rendered = google_rendering(event, members, window)
    text, client_uid = overlay.apply(rendered.text, stored_overlay(event))
    return RemoteItem(
        remote_id=event_id,
        version=encode_versions(versions),
        uid=client_uid or str(event.get("iCalUID") or event_id),
        ical=text,
        member_ids=tuple(sorted(str(e["id"]) for e in members)),
        span=rendered.span if text is rendered.text else None,  # an overlay: recomputed
    )


def item_or_skip(
    event: Mapping[str, Any], exceptions: Sequence[Mapping[str, Any]], window: SyncWindow
) -> RemoteItem | None:
    """The item, or None (logged) when Google gave too little for a valid resource."""
    try:
        return google_item(event, exceptions, window)
    except IncompleteItem as exc:
        log.warning("skipped a Google event: %s", exc)
        return None


def single_or_skip(event: Mapping[str, Any], window: SyncWindow) -> RemoteItem | None:
    """`item_or_skip` for a single event of a listing page."""
    return item_or_skip(event, (), window)
