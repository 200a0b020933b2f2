"""Meeting views (C4): read-only virtual calendars over the user's real ones.

- "Zoom meetings" (`zoom-meetings`): every event of the user's calendars — their own and
  those shared with or delegated to them, as far as the mirror holds them — that the join-link
  enrichment marked `X-ZOOM-MEETING:TRUE`.
- "Hosted by me" (`hosted-by-me`): every event whose ORGANIZER is one of the user's connected
  accounts, and events without an organizer in the user's own calendars (appointments).
- Private events of a calendar the user sees as busy blocks only (a delegate without private
  access, issue 15: the mirror holds them redacted) are left out; with private access they are
  in the views like any event.

Each view is a collection of its own in the mirror (bridge/store/views.py), so it has its own
sync tokens; an item is a copy of the source item — same bytes, same ETag — at
"<source collection>--<source href>", so the href says where it comes from. A view is brought
up to date when it is read: only the source items changed since the source tokens it was built
from are looked at (RFC 6578 changes of each source), a source seen for the first time or whose
token is no longer valid is read whole. The views a user sees are their switches in the portal
(none by default); a view is anchored on one of the user's connections that shows calendars
(the mirror's collections belong to a connection) and disappears with the switch.
Must not import radicale or a concrete provider; never writes to a provider.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bridge.ical.private import has_private
from bridge.model import CollectionKind, CollectionRecord, ItemRecord
from bridge.store import ItemDraft
from bridge.sync.engine import SyncEngine
from bridge.sync.virtual import VIEW_PREFIX, is_view

ZOOM = "zoom"
HOSTED = "hosted"
SEPARATOR = "--"
_PREFIX = VIEW_PREFIX
_ORGANIZER = re.compile(r"^ORGANIZER[;:].*?mailto:([^\s;:\"]+)", re.IGNORECASE)


@dataclass(frozen=True)
class ViewSpec:
    key: str
    name: str  # path segment under the principal
    label: str  # display name
    color: str

    @property
    def remote_id(self) -> str:
        return _PREFIX + self.key


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec(ZOOM, "zoom-meetings", "Zoom meetings", "#2D8CFF"),
    ViewSpec(HOSTED, "hosted-by-me", "Hosted by me", "#8E44AD"),
)
BY_KEY = {v.key: v for v in VIEWS}


def view_key(coll: CollectionRecord) -> str:
    return coll.remote_id.removeprefix(_PREFIX)


def _unfolded(text: str) -> list[str]:
    return text.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "").splitlines()


def is_zoom(text: str) -> bool:
    return any(line.upper() == "X-ZOOM-MEETING:TRUE" for line in _unfolded(text))


def hosted_by(text: str, emails: Iterable[str], own_calendar: bool) -> bool:
    """Organised by one of `emails`; or, in the user's own calendar, an event without one."""
    wanted = {e.lower() for e in emails if e}
    organizers = [m.group(1).lower() for line in _unfolded(text) if (m := _ORGANIZER.match(line))]
    if not organizers:
        return own_calendar
    return any(o in wanted for o in organizers)


def source_of(href: str) -> str | None:
    """The path segment of the calendar a view item was copied from."""
    name, sep, _ = href.partition(SEPARATOR)
    return name if sep else None


class MeetingViews:
    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine
        self.store = engine.store

    # -- which views exist -----------------------------------------------------------------
    def sources(self, user_id: int) -> list[CollectionRecord]:
        return [
            c
            for c in self.store.collections(user_id=user_id)
            if c.kind is CollectionKind.CALENDAR and not is_view(c) and self.engine.wanted(c)
        ]

    def switched_on(self, coll: CollectionRecord) -> bool:
        return view_key(coll) in self.store.meeting_views(coll.user_id)

    def ensure(self, user_id: int) -> list[CollectionRecord]:
        """Create the views the user switched on, delete those switched off; the views."""
        wanted = self.store.meeting_views(user_id)
        existing = {c.remote_id: c for c in self.store.collections(user_id=user_id) if is_view(c)}
        sources = self.sources(user_id) if wanted else []
        out: list[CollectionRecord] = []
        for spec in VIEWS:
            coll = existing.get(spec.remote_id)
            if spec.key not in wanted or not sources:
                if coll is not None:
                    self.store.delete_collection(coll.id)
                continue
            if coll is None:
                coll = self.store.upsert_collection(
                    user_id,
                    sources[0].connection_id,
                    CollectionKind.CALENDAR,
                    spec.remote_id,
                    spec.label,
                    spec.color,
                    True,
                    None,
                    name=spec.name,
                )
            out.append(coll)
        return out

    # -- bringing a view up to date --------------------------------------------------------
    def rebuild(self, view: CollectionRecord) -> CollectionRecord:
        with self.engine.locked(view.id):
            self._rebuild(self.store.collection(view.id))
        return self.store.collection(view.id)

    def _rebuild(self, view: CollectionRecord) -> None:
        key = view_key(view)
        emails = [c.account for c in self.store.connections(view.user_id)]
        try:
            old: dict[str, list[str]] = json.loads(view.cursor or "{}")
        except ValueError:
            old = {}
        new: dict[str, list[str]] = {}
        upserts: list[tuple[str, ItemDraft]] = []
        removed: list[str] = []
        for src in self.sources(view.user_id):
            token = self.store.sync_token(src.id)
            new[str(src.id)] = [src.name, token]
            prev = old.get(str(src.id))
            if prev == [src.name, token]:
                continue
            records, gone = self._changed(view, src, prev)
            removed += gone
            own = src.owner is None or src.owner.lower() in {e.lower() for e in emails}
            busy_blocks = self.store.redacts(src.id)
            for rec in records:
                href = f"{src.name}{SEPARATOR}{rec.href}"
                if self._belongs(key, rec, emails, own, busy_blocks):
                    upserts.append((href, _copy(src, rec)))
                else:
                    removed.append(href)
        current = {name for name, _ in new.values()}
        for name, _ in old.values():
            if name not in current:  # a source that went away (deleted, switched off)
                removed += self.store.view_hrefs(view.id, name)
        if upserts or removed or new != old or view.refreshed_at is None:
            self.store.apply_view(
                view.id, upserts, removed, json.dumps(new, sort_keys=True), self.engine.clock()
            )

    def _changed(
        self, view: CollectionRecord, src: CollectionRecord, prev: list[str] | None
    ) -> tuple[list[ItemRecord], list[str]]:
        """The source's items to look at again, and view hrefs whose source item is gone."""
        if prev is not None and prev[0] == src.name:
            try:
                _, hrefs = self.store.changes_since(src.id, prev[1])
            except ValueError:
                pass
            else:
                found = self.store.items_by_href(src.id, hrefs)
                gone = [f"{src.name}{SEPARATOR}{h}" for h in hrefs if h not in found]
                return list(found.values()), gone
        records = list(self.store.item_records(src.id))
        live = {f"{src.name}{SEPARATOR}{r.href}" for r in records}
        gone = [h for h in self.store.view_hrefs(view.id, src.name) if h not in live]
        return records, gone

    @staticmethod
    def _belongs(
        key: str, rec: ItemRecord, emails: list[str], own: bool, busy_blocks: bool
    ) -> bool:
        if rec.component != "VEVENT" or not rec.text:
            return False
        if busy_blocks and has_private(rec.text):
            return False  # a private event the user sees only as busy is no meeting of theirs
        if key == ZOOM:
            return is_zoom(rec.text)
        return hosted_by(rec.text, emails, own)


def _copy(src: CollectionRecord, rec: ItemRecord) -> ItemDraft:
    return ItemDraft(
        uid=rec.uid,
        remote_id=f"{src.id}:{rec.remote_id}",
        version=rec.version,
        text=rec.text,
        component=rec.component,
        start=rec.start,
        end=rec.end,
    )
