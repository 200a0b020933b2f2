"""A large listing's items converted to drafts on a second core too (issue 14, point 1).

What it does: `converted(pages, convert, offload)` yields each page of a pull with its drafts,
in page order, the conversion (enrichment, its record, limits) shared with the worker process
(bridge/offload.py) once the listing is large: the worker runs `CalendarConversion` (pure,
picklable) with the meeting aliases of its chunk looked up here, so a draft is the same
wherever it was made.
What it must not do: touch the store in the worker (`Offload.found` runs here); reorder
pages; hold more than `AHEAD` pages converted and not yet handed on (memory stays bounded for
any listing size).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from bridge import offload as shared
from bridge.model import RemoteItem
from bridge.providers.base import PullPage
from bridge.store import ItemDraft
from bridge.sync.items import CalendarConversion

AHEAD = 3  # pages converted or converting, not yet handed on


@dataclass(frozen=True)
class Offload:
    """What the worker needs to convert one collection's items: the conversion, and how to
    find (here, in the store) the meeting aliases of a chunk's items."""

    conversion: CalendarConversion
    found: Callable[[Sequence[RemoteItem]], Mapping[str, str]]

    def remote(self, items: Sequence[RemoteItem]) -> CalendarConversion:
        """The conversion for this chunk, with just its items' aliases."""
        return self.conversion.narrowed(items, self.found(items))


def converted(
    pages: Iterable[PullPage],
    convert: Callable[[RemoteItem], ItemDraft],
    offload: Offload | None,
) -> Iterator[tuple[PullPage, list[ItemDraft]]]:
    """Each page with the drafts of its items, in order (see the module docstring)."""
    sharing: shared.Sharing[RemoteItem, ItemDraft] = shared.Sharing(
        convert, None if offload is None else offload.remote
    )
    ahead: deque[tuple[PullPage, list[shared.Chunk[RemoteItem, ItemDraft]]]] = deque()

    def handed(
        first: tuple[PullPage, list[shared.Chunk[RemoteItem, ItemDraft]]],
    ) -> tuple[PullPage, list[ItemDraft]]:
        page, chunks = first
        return page, [draft for chunk in chunks for draft in sharing.results(chunk)]

    for page in pages:
        ahead.append((page, sharing.chunks(page.items)))
        while ahead and (len(ahead) > AHEAD or all(c.done() for c in ahead[0][1])):
            yield handed(ahead.popleft())
    while ahead:
        yield handed(ahead.popleft())
