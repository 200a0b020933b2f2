"""Join-link detection and enrichment (C3): pure functions over iCalendar text, no I/O.

`enrich(ical, account_emails, options)` adds the properties below to every VEVENT (master and
each RECURRENCE-ID override); `enrich_with_record()` also returns the record of exactly what it
added, which the mirror stores and `remove_enrichment(text, record)` uses on a client's PUT
(record.py: independent of the bookkeeping below, which clients drop or re-serialise);
`strip(ical)` removes the additions from text that still holds the bookkeeping;
`detect(vevent)` returns the Detection for an icalendar.Event. Depends only on icalendar and the
standard library; must not import other bridge packages nor do I/O.

Properties added to every VEVENT
================================
=================================  ============================================================
Property                           Meaning
=================================  ============================================================
X-ZOOM-MEETING:TRUE|FALSE          always; FALSE = "Not a Zoom meeting" (SUMMARY never changed)
X-ZOOM-JOIN-URL:<https url>        Zoom: canonical join URL (Safe Links / Google redirect
                                   unwrapped, zoommtg:// and zoomus:// converted, only pwd= and
                                   tk= kept, /wc/join/<id> -> /j/<id>)
X-ZOOM-MEETING-ID:<digits>         Zoom: 9-11 digits, from the URL, the structured
                                   X-CONFERENCE-ID, or "Meeting ID: 855 1234 5678" text
X-ZOOM-PASSCODE:<text>             Zoom, when known: CONFERENCE param X-PASSCODE/X-PASSWORD, or
                                   "Passcode:" / "Password:" / "Meeting password:" text; never
                                   derived from the encrypted pwd= value
X-ZOOM-HOST;CN=<name>:<address>    Zoom: the ORGANIZER value with its CN
X-ZOOM-HOSTED-BY-ME:TRUE|FALSE     Zoom: organizer address (case-insensitive) is one of the
                                   account's addresses; FALSE without ORGANIZER
X-ZOOM-DIAL;VALUE=URI:tel:<…>      Zoom: one per one-tap string, e.g.
                                   tel:+16465588656,,85512345678#,,,,*123456#, from structured
                                   PHONE conferences of a Zoom meeting and "One tap" text
CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=<label>:<url>
                                   RFC 7986, one per detected service the provider mapping did
                                   not already emit (Zoom, Microsoft Teams, Google Meet, Webex,
                                   GoTo Meeting, Skype for Business, Skype, BlueJeans, Jitsi
                                   Meet, Whereby, Amazon Chime)
CONFERENCE;VALUE=URI;FEATURE=PHONE;LABEL=Zoom:tel:<…>
                                   each Zoom one-tap not already present as a PHONE conference
X-DAVBRIDGE-CONFERENCE:<key>       one per non-Zoom service: teams, google-meet, webex,
                                   goto-meeting, skype-for-business, skype, bluejeans, jitsi,
                                   whereby, amazon-chime
X-DAVBRIDGE-JOIN-URL:<url>         primary join URL: the Zoom join URL, else the first service's
X-DAVBRIDGE-ADDED-CONFERENCE;VALUE=URI:<uri>
                                   bookkeeping: URI of each CONFERENCE enrich() added
X-DAVBRIDGE-FILLED:<list>|NONE     bookkeeping when there is a primary join URL: URL / LOCATION
                                   (property added), URL-EMPTY / LOCATION-EMPTY (empty value
                                   filled), NONE (nothing filled)
URL:<primary join URL>             only when URL was absent or empty
LOCATION:<primary join URL>        when LOCATION was absent, empty, or only named the service
                                   ("Microsoft Teams Meeting", "Zoom", …: visible.py); the
                                   placeholder is then kept as "Location: …" in DESCRIPTION
X-MICROSOFT-SKYPETEAMSMEETINGURL   Teams join URL; X-GOOGLE-CONFERENCE: Meet join URL
X-DAVBRIDGE-VISIBLE / -LOCATION    bookkeeping for strip(): what visible.py added
DESCRIPTION                        Zoom with join URL or ID: a block on top, between the lines
                                   "-- Zoom meeting (added by davbridge) --" and
                                   "-- end of Zoom meeting details (davbridge) --", then a
                                   blank line, then the provider's text unchanged. Not Zoom:
                                   "Not a Zoom meeting · Host: <organizer>" on top (per-user
                                   option). Teams / Meet: GNOME Calendar's delimited join
                                   block at the end (visible.py)
=================================  ============================================================

Host start links (zoom.us/s/<id>, zoommtg://…/start, any URL or token carrying zak=, also inside
Safe Links) are replaced everywhere in the calendar by "[Zoom host start link removed]" and never
used; an event whose only Zoom trace is such a link is a Zoom meeting without join URL or ID.
Sources, in priority order: CONFERENCE, URL, LOCATION, DESCRIPTION, X-ALT-DESC (HTML); the first
Zoom join URL wins. strip() rules are in strip.py.
"""

from bridge.joinlinks.detect import Conference, Detection, Organizer, ZoomMeeting, detect
from bridge.joinlinks.enrich import Enriched, EnrichOptions, enrich, enrich_with_record
from bridge.joinlinks.record import Enrichment, remove_enrichment
from bridge.joinlinks.strip import strip
from bridge.joinlinks.zoom import START_LINK_PLACEHOLDER

__all__ = [
    "START_LINK_PLACEHOLDER",
    "Conference",
    "Detection",
    "EnrichOptions",
    "Enriched",
    "Enrichment",
    "Organizer",
    "ZoomMeeting",
    "detect",
    "enrich",
    "enrich_with_record",
    "remove_enrichment",
    "strip",
]
