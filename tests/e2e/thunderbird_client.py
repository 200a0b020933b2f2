"""What a Thunderbird user does with a CalDAV/CardDAV account, done through Thunderbird's own
modules in the chrome context (the code its dialogs call), returning plain data.

- "New Calendar → On the Network" runs `cal.provider.detection.detect(user, password,
  location, …)` and registers the calendars the user ticks with `cal.manager.registerCalendar`
  (offline support on, the dialog's default: calendar/content/calendar-creation.js).
- "New Address Book → CardDAV" runs `CardDAVUtils.detectAddressBooks(user, password, url)` and
  `create()` on each book found (addressbook/abCardDAVDialog.js).
- The event dialog saves with `calendar.modifyItem(newItem, oldItem)`; the contact editor
  builds an `AddrBookCard` and calls `directory.addCard` / `deleteCards`.

Must not reach into Thunderbird's storage or bypass its providers: every read and write goes
through the same calendar and address-book objects the user interface uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection as Names
from dataclasses import dataclass

from tests.e2e.thunderbird import Thunderbird


@dataclass(frozen=True)
class Collection:
    """A calendar or address book as Thunderbird registered it."""

    id: str
    name: str
    url: str
    read_only: bool


@dataclass(frozen=True)
class Event:
    """An event as Thunderbird holds it (what its summary and edit dialogs show)."""

    id: str
    title: str
    location: str | None
    url: str | None  # "Related link" in the event dialog (iCalendar URL)
    start: dt.datetime
    end: dt.datetime
    ical: str


def _utc(ical: str) -> dt.datetime:
    return dt.datetime.strptime(ical, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


_EVENT_JSON = """
function eventJson(i) {
  const utc = d => d.getInTimezone(cal.dtz.UTC).icalString;
  return { id: i.id, title: i.title, location: i.getProperty("LOCATION"),
           url: i.getProperty("URL"), start: utc(i.startDate), end: utc(i.endDate),
           ical: i.icalString };
}
"""


class ThunderbirdClient:
    def __init__(self, tb: Thunderbird) -> None:
        self.tb = tb

    def discover_calendars(
        self, url: str, user: str, password: str, subscribe: Names[str] | None = None
    ) -> list[Collection]:
        """Detect calendars from `url` alone and subscribe to those named in `subscribe`
        (all when None), as the wizard's list of check boxes does."""
        found = self.tb.js(
            """
const [user, password, url, subscribe] = args;
const found = await cal.provider.detection.detect(user, password, url, true, [], {});
const out = [];
for (const [provider, calendars] of found) {
  for (const c of calendars) {
    if (subscribe === null || subscribe.includes(c.name)) {
      if (!c.getProperty("cache.always") && c.getProperty("cache.supported") !== false) {
        c.setProperty("cache.enabled", true);
      }
      cal.manager.registerCalendar(c);
    }
    out.push({ id: c.id, name: c.name, url: c.uri.spec, read_only: c.readOnly,
               type: provider.type });
  }
}
return out;
""",
            user,
            password,
            url,
            None if subscribe is None else sorted(subscribe),
        )
        return [
            Collection(c["id"], c["name"], c["url"], c["read_only"])
            for c in found
            if c["type"] == "caldav"
        ]

    def discover_address_books(self, url: str, user: str, password: str) -> list[Collection]:
        """Detect CardDAV address books from `url` alone and add every one found."""
        found = self.tb.js(
            """
const [user, password, url] = args;
const books = await CardDAVUtils.detectAddressBooks(user, password, url, false, true);
return books.map(b => {
  const dir = b.create();
  return { id: dir.UID, name: dir.dirName, url: b.url.href, read_only: dir.readOnly };
});
""",
            user,
            password,
            url,
        )
        return [Collection(b["id"], b["name"], b["url"], b["read_only"]) for b in found]

    def events(self, calendar_id: str, title: str) -> list[Event]:
        """The calendar's events (series masters and single events) with this title."""
        found = self.tb.js(
            _EVENT_JSON
            + """
const [id, title] = args;
const c = cal.manager.getCalendarById(id);
const items = await c.getItemsAsArray(
  Ci.calICalendar.ITEM_FILTER_TYPE_EVENT | Ci.calICalendar.ITEM_FILTER_ALL_ITEMS, 0, null, null);
return items.filter(i => i.title == title).map(eventJson);
""",
            calendar_id,
            title,
        )
        return [
            Event(
                e["id"],
                e["title"],
                e["location"],
                e["url"],
                _utc(e["start"]),
                _utc(e["end"]),
                e["ical"],
            )
            for e in found
        ]

    def retitle_and_move(
        self, calendar_id: str, item_id: str, title: str, shift: dt.timedelta
    ) -> None:
        """Change an event's title and move it by `shift`, as the event dialog saves it."""
        self.tb.js(
            """
const [id, itemId, title, seconds] = args;
const c = cal.manager.getCalendarById(id);
const old = await c.getItem(itemId);
const changed = old.clone();
changed.title = title;
const shift = cal.createDuration();
shift.inSeconds = seconds;
const start = old.startDate.clone();
start.addDuration(shift);
const end = old.endDate.clone();
end.addDuration(shift);
changed.startDate = start;
changed.endDate = end;
await c.modifyItem(changed, old);
""",
            calendar_id,
            item_id,
            title,
            int(shift.total_seconds()),
        )

    def add_contact(self, book_id: str, first: str, last: str, email: str, tel: str) -> str:
        """Add a contact as the contact editor does; returns its UID."""
        return str(
            self.tb.js(
                """
const { AddrBookCard } = ChromeUtils.importESModule(
  "resource:///modules/AddrBookCard.sys.mjs");
const { VCardPropertyEntry } = ChromeUtils.importESModule(
  "resource:///modules/VCardUtils.sys.mjs");
const [bookId, first, last, email, tel] = args;
const book = MailServices.ab.getDirectoryFromUID(bookId);
const card = new AddrBookCard();
card.firstName = first;
card.lastName = last;
card.displayName = `${first} ${last}`;
card.primaryEmail = email;
card.vCardProperties.addEntry(new VCardPropertyEntry("tel", { type: "work" }, "text", tel));
return book.addCard(card).UID;
""",
                book_id,
                first,
                last,
                email,
                tel,
            )
        )

    def contact_href(self, book_id: str, uid: str) -> str:
        """The server path Thunderbird stored for a contact ("" until the server confirmed it)."""
        return str(
            self.tb.js(
                """
const [bookId, uid] = args;
const card = MailServices.ab.getDirectoryFromUID(bookId).childCards.find(c => c.UID == uid);
return card ? card.getProperty("_href", "") : "";
""",
                book_id,
                uid,
            )
        )

    def delete_contact(self, book_id: str, uid: str) -> None:
        self.tb.js(
            """
const [bookId, uid] = args;
const book = MailServices.ab.getDirectoryFromUID(bookId);
book.deleteCards(book.childCards.filter(c => c.UID == uid));
""",
            book_id,
            uid,
        )
