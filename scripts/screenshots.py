#!/usr/bin/env python3
"""Regenerate the portal screenshots in docs/screenshots/ (1280×800 PNGs, used by the README).

Runs the browser tests that pass the main pages (tests/browser, Playwright on Debian's
chromium against a fresh `davbridge demo`) with DAVBRIDGE_SCREENSHOTS set, so every picture
shows a page in the state a test has just asserted. Usage, from the repository root:

    python scripts/screenshots.py [output-dir]     # default docs/screenshots

Must not start servers or drive the browser itself (the tests do), nor keep stale pictures:
the expected files are listed and their absence is an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = (
    "signin",  # the sign-in page: local password, Microsoft, Google
    "profile",  # the demo user's profile with three connections
    "connect",  # choosing a service and permissions
    "exchange-form",  # the Exchange (EWS) form
    "connection",  # one connection: status, switches, permissions, removal
    "app-password-created",  # an app password, shown once
    "admin-settings",  # organisation settings
    "admin-group",  # a group's overrides and members
)
TESTS = (
    "tests/browser/test_signin_flows.py::test_local_password_signs_in_and_a_wrong_one_is_refused_plainly",
    "tests/browser/test_admin_flows.py::test_demo_admin_profile_shows_its_three_connections",
    "tests/browser/test_admin_flows.py::test_group_override_changes_what_its_member_sees",
    "tests/browser/test_connect_flows.py::test_connect_microsoft_365_and_a_calendar_app_sees_its_calendars",
    "tests/browser/test_connect_flows.py::test_connect_exchange_with_the_form",
    "tests/browser/test_connection_flows.py::test_calendars_switch_off_hides_them_and_on_brings_them_back_without_consent",
    "tests/browser/test_app_password_flows.py::test_app_password_shown_once_works_shows_last_use_and_revokes",
)


def main(argv: list[str]) -> int:
    out = Path(argv[1]).resolve() if len(argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for page in PAGES:
        (out / f"{page}.png").unlink(missing_ok=True)
    env = {**os.environ, "DAVBRIDGE_SCREENSHOTS": str(out)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS]
    code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    missing = [p for p in PAGES if not (out / f"{p}.png").exists()]
    if code or missing:
        print(f"screenshots incomplete (pytest exit {code}; missing {missing})", file=sys.stderr)
        return code or 1
    for page in PAGES:
        print(out / f"{page}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
