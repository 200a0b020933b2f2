#!/usr/bin/env python3
"""Regenerate the Thunderbird pictures in docs/screenshots/ (thunderbird-*.png, used by the
README's "Where the join link appears") and print what Thunderbird shows for each kind of
online meeting on each connected service.

Starts a fresh `davbridge demo`, a virtual X display (Xvfb, 1280×800) and Debian's
`thunderbird` on it (a real window, not headless) with a fresh offline profile; subscribes to
the three main calendars through Thunderbird's network-calendar discovery, opens each
picture's event the way a double click does (`openEventDialogForViewing`), and captures the
display with ImageMagick's `import`. Usage, from the repository root:

    .venv/bin/python scripts/thunderbird-screenshots.py [output-dir]   # default docs/screenshots

Needs the packages of scripts/install-system-deps (thunderbird, xvfb, imagemagick). Not run by
the test suite. Must not leave processes behind: everything it starts is stopped on exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import free_port, start_demo, stop_demo, wait_for  # noqa: E402
from tests.e2e.thunderbird import Thunderbird, start_thunderbird  # noqa: E402
from tests.e2e.thunderbird_client import Collection, ThunderbirdClient  # noqa: E402

SERVICES = {"Microsoft 365": "m365", "Google": "google", "Exchange": "exchange"}
# Seeded demo meetings (sandbox/seed_demo.py), one per way a join link arrives.
MEETINGS = {
    "Zoom, no location": "Roadmap chat",
    'Zoom, location "Zoom"': "Customer call - Fabrikam",
    "Zoom, location a room": "Zoom Rooms test",
    "Teams": "Architecture board",
    "Google Meet": "Open-source sync (Google Meet)",
    "Webex": "Auditor walkthrough (Webex)",
}
# (file name, service, meeting kind)
PICTURES = (
    ("thunderbird-zoom-m365", "Microsoft 365", "Zoom, no location"),
    ("thunderbird-zoom-google", "Google", "Zoom, no location"),
    ("thunderbird-zoom-exchange", "Exchange", "Zoom, no location"),
    ("thunderbird-zoom-placeholder-m365", "Microsoft 365", 'Zoom, location "Zoom"'),
    ("thunderbird-teams-m365", "Microsoft 365", "Teams"),
    ("thunderbird-meet-google", "Google", "Google Meet"),
)
WIDTH, HEIGHT = 1280, 800


@contextmanager
def xvfb() -> Iterator[str]:
    """A private X display on a Unix socket only (-nolisten tcp); yields its name."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write),
            "-screen",
            "0",
            f"{WIDTH}x{HEIGHT}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write,),
    )
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def open_event(tb: Thunderbird, calendar_id: str, item_id: str) -> None:
    """Open the event as a double click does, in front of the calendar tab on its day."""
    tb.js(
        """
const [calendarId, itemId] = args;
const item = await cal.manager.getCalendarById(calendarId).getItem(itemId);
window.moveTo(0, 0);
window.resizeTo(screen.availWidth, screen.availHeight);
document.getElementById("tabmail").openTab("calendar");
await new Promise(resolve => window.requestAnimationFrame(resolve));
window.currentView().goToDay(item.startDate);
window.openEventDialogForViewing(item);
""",
        calendar_id,
        item_id,
    )


def dialog_shows(tb: Thunderbird, title: str) -> bool:
    """Whether an event or summary dialog has finished loading `title`."""
    return bool(
        tb.js(
            """
const [title] = args;
for (const w of Services.wm.getEnumerator(null)) {
  const url = w.document.documentURI;
  if (!/calendar-(event|summary)-dialog/.test(url) || w.document.readyState != "complete") {
    continue;
  }
  const docs = [w.document, ...[...w.document.querySelectorAll("iframe")]
    .map(f => f.contentDocument).filter(Boolean)];
  for (const d of docs) {
    const shown = d.getElementById("item-title")?.value  // event dialog
      ?? d.querySelector(".item-title")?.textContent;  // summary dialog
    if (shown == title && d.readyState == "complete") {
      // no window manager on Xvfb: give the dialog room for its rows and centre it
      const [width, height] = [Math.max(w.outerWidth, 900), Math.max(w.outerHeight, 640)];
      w.resizeTo(width, height);
      w.moveTo((w.screen.availWidth - width) / 2, (w.screen.availHeight - height) / 2);
      // let two frames paint before the picture is taken
      for (let i = 0; i < 2; i++) {
        await new Promise(resolve => w.requestAnimationFrame(resolve));
      }
      return true;
    }
  }
}
return false;
""",
            title,
        )
    )


def close_dialogs(tb: Thunderbird) -> None:
    tb.js(
        """
for (const w of [...Services.wm.getEnumerator(null)]) {
  if (/calendar-(event|summary)-dialog/.test(w.document.documentURI)) {
    w.close();
  }
}
"""
    )


def capture(display: str, out: Path) -> None:
    subprocess.run(
        ["import", "-display", display, "-window", "root", str(out)], check=True, timeout=60
    )


def observations(client: ThunderbirdClient, calendars: dict[str, Collection]) -> str:
    """A Markdown table: what Thunderbird holds as Location and Related link per meeting."""
    rows = ["| service | meeting | Location | Related link (URL) |", "|---|---|---|---|"]
    for service in SERVICES:
        for kind, title in MEETINGS.items():
            found = client.events(calendars[service].id, title)
            if not found:
                rows.append(f"| {service} | {kind} | (not in this service's demo data) | |")
                continue
            e = found[0]
            shown = (
                "the join link"
                if e.location and e.location == e.url
                else f'"{e.location}"'
                if e.location
                else "—"
            )
            link = (
                f"`{e.url[:40]}…`" if e.url and len(e.url) > 40 else f"`{e.url}`" if e.url else "—"
            )
            rows.append(f"| {service} | {kind} | {shown} | {link} |")
    return "\n".join(rows)


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, xvfb() as display:
        demo = start_demo(Path(tmp) / "demo", free_port())
        try:
            tb = start_thunderbird(
                Path(tmp) / "profile",
                headless=False,
                env={"DISPLAY": display},
                # the demo's meetings are mostly on Pacific time
                prefs={"calendar.timezone.local": "America/Los_Angeles"},
            )
            try:
                client = ThunderbirdClient(tb)
                user, password = demo.auth
                found = client.discover_calendars(
                    demo.url, user, password, subscribe={f"Calendar — {s}" for s in SERVICES}
                )
                calendars = {
                    s: next(c for c in found if c.name == f"Calendar — {s}") for s in SERVICES
                }
                for name, service, kind in PICTURES:
                    title = MEETINGS[kind]
                    (event, *_) = wait_for(
                        lambda s=service, t=title: client.events(calendars[s].id, t), timeout=120
                    )
                    open_event(tb, calendars[service].id, event.id)
                    wait_for(lambda t=title: dialog_shows(tb, t), timeout=60)
                    capture(display, out_dir / f"{name}.png")
                    close_dialogs(tb)
                    print(f"wrote {out_dir / (name + '.png')}")
                print(observations(client, calendars))
            finally:
                tb.stop()
        finally:
            stop_demo(demo)


if __name__ == "__main__":
    main()
