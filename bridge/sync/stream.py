"""A full listing stored page by page while the next page is fetched (issue 14, points 1
and 3): the first sync of a collection (or a resync after an expired cursor) never holds the
whole listing, and the provider prepares its next page while this process converts, enriches
and stores the previous one.

What it does: the engine runs a provider's page iterator on a thread of its own
(bridge.providers.base.prefetched), at most `DEPTH` pages ahead; the providers fetch their raw
pages on one more thread, so the provider prepares the next page while this process maps the
previous one (Python threads: the provider's latency overlaps our work, two conversions do
not overlap each other). `apply_full`
converts each page (a large listing's share on a second core: convert_pool.py) and commits the drafts in batches of about `BATCH` items, each batch in one
store transaction that keeps the collection's old cursor and refresh time; the last commit
removes what the listing did not hold and only then saves the new cursor.
Interrupted (provider fault, process stopped) after some batches: the old cursor is still the
stored one, so the next pull lists everything again; the batches already stored are matched
by remote id (overwritten in place, unchanged bytes keep their etag), so nothing is lost or
stored twice, and what the provider no longer has is removed by the round that completes.
What it must not do: decide by provider kind, talk to the network itself, or save a cursor
before the last page was applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bridge.errors import BridgeError
from bridge.model import CollectionRecord, RemoteItem
from bridge.providers.base import PullPage
from bridge.store import ItemDraft, Store
from bridge.sync.convert_pool import Offload, converted

BATCH = 2000  # drafts per store transaction (each reads the collection's rows once)


@dataclass(frozen=True)
class Applied:
    """What a streamed full listing did: items changed, provider requests made."""

    changed: int
    requests: int


@dataclass(frozen=True)
class FullListing:
    """What `apply_full` needs of the engine for one collection."""

    store: Store
    coll: CollectionRecord
    convert: Callable[[RemoteItem], ItemDraft]
    suffix: str
    # the live items a DAV client wrote outside the sync window (calendars; issue 11)
    outside: Callable[[], set[str]] = set
    # the current state of one resource at the provider (None: gone)
    fetch: Callable[[str], RemoteItem | None] | None = None
    # `convert` in a form the conversion worker can run (calendars; convert_pool.py)
    offload: Offload | None = None
    # the calendar's private-event setting the drafts are made under (store.delegation)
    epoch: int | None = None


def apply_full(job: FullListing, pages: Iterator[PullPage], now: Callable[[], float]) -> Applied:
    """Store a full listing page by page (see the module docstring)."""
    return apply_pages(job, pages, now, reset=True)


def apply_pages(
    job: FullListing, pages: Iterator[PullPage], now: Callable[[], float], reset: bool
) -> Applied:
    """Store a pull page by page: a full listing (`reset`: what it did not hold is removed
    at the end) or an increment (only what it reported removed is). Either way the new
    cursor is saved with the last batch only, so an interrupted pull is done again."""
    store, coll = job.store, job.coll
    seen: set[str] = set()
    removed: dict[str, None] = {}
    pending: dict[str, ItemDraft] = {}
    changed = requests = 0
    cursor: str | None = None

    def commit() -> None:
        nonlocal changed
        if pending:  # the old cursor and refresh time stay until the last page
            changed += store.apply_pull(
                coll.id,
                pending.values(),
                (),
                coll.cursor,
                False,
                coll.refreshed_at,
                job.suffix,
                job.epoch,
            )
            pending.clear()

    for page, drafts in converted(pages, job.convert, job.offload):
        requests += page.requests
        for item, draft in zip(page.items, drafts, strict=True):
            pending[item.remote_id] = draft
            seen.add(item.remote_id)
            removed.pop(item.remote_id, None)
        for remote_id in page.removed:
            removed[remote_id] = None
            seen.discard(remote_id)
            pending.pop(remote_id, None)
        if page.cursor is not None:
            cursor = page.cursor
        if len(pending) >= BATCH:
            commit()
    if cursor is None:
        raise BridgeError("the provider's listing ended without a new cursor")
    gone, extra, fetched = _resolve(job, seen, removed, reset)
    pending.update(extra)
    commit()
    if reset:
        gone |= store.live_remote_ids(coll.id) - seen - set(extra)
    changed += store.apply_pull(coll.id, (), gone, cursor, False, now(), job.suffix, job.epoch)
    return Applied(changed, requests + fetched)


def _resolve(
    job: FullListing, seen: set[str], removed: dict[str, None], reset: bool
) -> tuple[set[str], dict[str, ItemDraft], int]:
    """(remote ids gone, drafts fetched again, requests made) for what the listing reported
    removed and for items a client wrote outside the window — the same rules as an
    all-at-once pull (engine._calendar_drafts)."""
    store, coll = job.store, job.coll
    gone: set[str] = set()
    refetch: set[str] = set()
    for provider_id in removed:
        resource = store.resource_for(coll.id, provider_id)
        if resource == provider_id:
            gone.add(provider_id)
        elif resource is not None and resource not in seen:
            refetch.add(resource)
    refetch -= gone
    if job.fetch is None:
        return gone, {}, 0
    kept = {rid for rid in job.outside() if rid in gone or (reset and rid not in seen)}
    drafts: dict[str, ItemDraft] = {}
    for resource in sorted(refetch | kept):
        item = job.fetch(resource)
        if item is None:
            gone.add(resource)
        else:
            gone.discard(resource)
            drafts[resource] = job.convert(item)
    return gone, drafts, len(refetch | kept)
