"""A streamed first sync asks the provider for its next page while it maps the one it has
(issue 14, point 1): the page requests run on a thread of their own, so the provider builds
page 2 while the bridge folds page 1 into iCalendar. Ordered with events, no timing: the fold
of the first page waits until the second page has been asked for, which only happens when the
requests do not wait for the fold. Graph's, Google's and Exchange's paged pulls, with fake
transports."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from bridge.model import RemoteItem, SyncWindow
from bridge.providers.google.provider import GoogleCalendarProvider
from bridge.providers.graph.provider import GraphCalendarProvider

WINDOW = SyncWindow(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
WAIT_S = 30.0  # only ever reached when the overlap is missing (the test then fails)


class Pages:
    """Answers in order; `asked[n]` is set when answer n is asked for."""

    def __init__(self, answers: Sequence[dict[str, Any]]) -> None:
        self.answers = list(answers)
        self.asked = [threading.Event() for _ in answers]
        self.request_count = 0

    def next(self) -> dict[str, Any]:
        n = self.request_count
        self.request_count += 1
        self.asked[n].set()
        return self.answers[n]


class FakeGraphHttp(Pages):
    prefix = "https://graph.test/v1.0/me"

    def get(self, url: str, **_: Any) -> dict[str, Any]:
        return self.next()

    def is_graph_url(self, url: str) -> bool:
        return url.startswith("https://graph.test/")


class FakeGoogleClient(Pages):
    def pages(self, make: Callable[..., Any], policy: Any) -> Iterator[dict[str, Any]]:
        while True:
            page = self.next()
            yield page
            if not page.get("nextPageToken"):
                return


def _folding(pages: Pages, seen: list[bool]) -> Callable[..., tuple[list[RemoteItem], list[str]]]:
    def fold(*_: Any, **__: Any) -> tuple[list[RemoteItem], list[str]]:
        if not seen:  # the first page: is the second one asked for meanwhile?
            seen.append(pages.asked[1].wait(WAIT_S))
        return [], []

    return fold


def test_graph_asks_for_the_next_delta_page_while_it_folds_one() -> None:
    http = FakeGraphHttp(
        [
            {"value": [], "@odata.nextLink": "https://graph.test/next?skip=1"},
            {"value": [], "@odata.deltaLink": "https://graph.test/delta?token=t"},
        ]
    )
    provider = GraphCalendarProvider(http)  # type: ignore[arg-type]
    seen: list[bool] = []
    provider._fold = _folding(http, seen)  # type: ignore[method-assign]
    pages = list(provider.pull_pages("cal", None, WINDOW))
    assert seen == [True]
    assert [p.cursor is not None for p in pages] == [False, True]
    assert sum(p.requests for p in pages) == 2  # every request counted once


def test_google_asks_for_the_next_list_page_while_it_folds_one() -> None:
    client = FakeGoogleClient(
        [{"items": [], "nextPageToken": "p2"}, {"items": [], "nextSyncToken": "s"}]
    )
    provider = GoogleCalendarProvider.__new__(GoogleCalendarProvider)
    provider._client = client  # type: ignore[assignment]
    provider._page_size = 250
    seen: list[bool] = []
    provider._fold = _folding(client, seen)  # type: ignore[method-assign]
    pages = list(provider.pull_pages("cal", None, WINDOW))
    assert seen == [True]
    assert [p.cursor is not None for p in pages] == [False, True]
    assert sum(p.requests for p in pages) == 2


def test_ews_asks_for_the_next_chunk_of_items_while_it_maps_one() -> None:
    from bridge.providers.ews.provider import PAGE_IDS, EwsCalendarProvider

    ids = [f"id-{n}" for n in range(PAGE_IDS + 1)]  # two GetItem chunks
    gets = Pages([{}, {}])
    provider = EwsCalendarProvider.__new__(EwsCalendarProvider)
    provider.request_count = 0
    provider._count_lock = threading.Lock()
    provider._folder = lambda calendar_id: object()  # type: ignore[method-assign]
    provider._sync_round = lambda *_: (ids, [], "state")  # type: ignore[method-assign]

    def get(chunk: list[str], folder: Any, policy: Any) -> list[Any]:
        gets.next()
        provider.request_count += 1
        return []

    seen: list[bool] = []
    provider._get = get  # type: ignore[method-assign]
    provider._resolve = _folding(gets, seen)  # type: ignore[method-assign]
    pages = list(provider.pull_pages("cal", None, WINDOW))
    assert seen == [True]
    assert [p.cursor is not None for p in pages] == [False, True]
    assert sum(p.requests for p in pages) == 2
