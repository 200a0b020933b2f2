"""One Graph event (with its series' instances) as the RemoteItem the bridge mirrors.

What it does: `graph_item` renders the event (mapping_read), puts the account's own answer of
an invitation in (issue 16.3) and the stored overlay of a client's extra properties, and
names the versions (changeKeys) the item was built from; `single_or_skip` does it for a
single event of a delta page, in the worker process too (bridge/offload.py: a picklable,
pure function of the JSON the provider fetched).
What it must not do: any I/O — everything it needs is in its arguments.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bridge.errors import IncompleteItem
from bridge.ical import overlay
from bridge.ical.itip import with_partstat
from bridge.model import RemoteItem, SyncWindow
from bridge.providers.common.outlook_time import parse_utc
from bridge.providers.common.reach import series_reach
from bridge.providers.common.versions import encode_versions
from bridge.providers.graph import overlay_props
from bridge.providers.graph.mapping_read import graph_rendering
from bridge.providers.graph.scheduling import own_answers

log = logging.getLogger("bridge.providers.graph.provider")


def change_key(event: Mapping[str, Any]) -> str:
    """An event's changeKey; `@odata.etag` is W/"<changeKey>" (Graph event resource docs)."""
    if event.get("changeKey"):
        return str(event["changeKey"])
    etag = str(event.get("@odata.etag") or "")
    if etag.startswith("W/"):
        etag = etag[2:]
    return etag.strip('"')


def event_reach(event: Mapping[str, Any], window: SyncWindow) -> SyncWindow:
    """The range a series' instances are listed and its cancelled occurrences looked for over:
    from its first occurrence on (common/reach.py), for a single event the window."""
    if event.get("type") != "seriesMaster":
        return window
    first: dt.date | None = parse_utc((event.get("start") or {}).get("dateTime"))
    if first is None:  # the wall time is enough: the reach has slack
        range_start = ((event.get("recurrence") or {}).get("range") or {}).get("startDate")
        with contextlib.suppress(ValueError):
            first = dt.date.fromisoformat(str(range_start))
    return series_reach(window, first)


def graph_item(
    event: Mapping[str, Any],
    instances: Sequence[Mapping[str, Any]],
    window: SyncWindow,
    kept: str | None,
    account_email: str,
) -> RemoteItem:
    """The resource of `event` (and its `instances`); `kept`: its stored overlay (None: read
    from the event's expanded extended property). `account_email` is read only for an
    invitation (own_answers)."""
    if not event.get("id"):
        raise IncompleteItem("graph", "", "id")
    versions = {str(event["id"]): change_key(event)}
    for inst in instances:
        if inst.get("type") == "exception":
            versions[str(inst["id"])] = change_key(inst)
    stored = kept if kept is not None else overlay_props.stored(event)
    rendered = graph_rendering(event, instances, event_reach(event, window))
    answers = own_answers(event, instances)
    if answers:  # an invitation: the account's answer is responseStatus (issue 16.3)
        rendered = replace(rendered, text=with_partstat(rendered.text, account_email, answers))
    text, client_uid = overlay.apply(rendered.text, stored)
    return RemoteItem(
        remote_id=str(event["id"]),
        version=encode_versions(versions),
        uid=client_uid or str(event.get("iCalUId") or event["id"]),
        ical=text,
        member_ids=tuple(sorted(str(i["id"]) for i in instances if i.get("id"))),
        span=rendered.span if text is rendered.text else None,  # an overlay: recomputed
        provider_uid=str(event.get("iCalUId") or "") if client_uid else "",
    )


def item_or_skip(
    event: Mapping[str, Any],
    instances: Sequence[Mapping[str, Any]],
    window: SyncWindow,
    kept: str | None,
    account_email: str,
) -> RemoteItem | None:
    """`graph_item`, or None (logged) when Graph gave too little for a valid resource."""
    try:
        return graph_item(event, instances, window, kept, account_email)
    except IncompleteItem as exc:
        log.warning("skipped a Graph event: %s", exc)
        return None


def single_or_skip(
    single: tuple[Mapping[str, Any], str], window: SyncWindow, account_email: str
) -> RemoteItem | None:
    """`item_or_skip` for a single event of a delta page (event, its stored overlay)."""
    event, kept = single
    return item_or_skip(event, (), window, kept, account_email)
