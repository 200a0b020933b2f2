"""Cost of busy blocks (issue 15): redacting 10,000 delegated events as they enter the mirror.

Redaction runs once per provider item at ingestion (bridge.sync.items.draft_from_remote), so
serving a multiget of redacted events costs what serving any mirrored event costs; this prints
the one-time cost per pull: half the events private (redacted), half public (passed through
unparsed). Prints figures; asserts nothing.

    .venv/bin/python bench/redaction.py
"""

from __future__ import annotations

import statistics
import time

from bridge.ical.private import redact_private

EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:u{i}\r\n"
    "DTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\n"
    "SUMMARY:Meeting {i}\r\nCLASS:{cls}\r\nDESCRIPTION:Join Zoom Meeting\\nhttps://us02web.zoom.us"
    "/j/8551234{i:04d}?pwd=abc\\nPasscode: 123456\r\nLOCATION:Room {i}\r\n"
    "ORGANIZER;CN=Owner:mailto:owner@contoso.example\r\n"
    "ATTENDEE;CN=Guest;PARTSTAT=ACCEPTED:mailto:guest{i}@example.com\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def main() -> None:
    texts = [
        EVENT.format(i=i % 10_000, cls="PRIVATE" if i % 2 else "PUBLIC") for i in range(10_000)
    ]
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        out = [redact_private(t) for t in texts]
        runs.append(time.perf_counter() - began)
    assert sum("SUMMARY:Private" in t for t in out) == 5_000
    best, median = min(runs), statistics.median(runs)
    print(
        f"10,000 events (5,000 private): best {best * 1000:.0f} ms, median {median * 1000:.0f} ms"
    )
    print(f"per event: {best / 10_000 * 1e6:.1f} µs (best of 5)")


if __name__ == "__main__":
    main()
