"""Run caldav-server-tester (PyPI `caldav-server-tester`, 1.7) as its console script does,
with ONE guard: its PrepareCalendar step asks for a VTODO-only calendar and does not catch a
refusal (checks.py, `_prepare_task_calendar`: `make_calendar(..., ["VTODO"])` outside any
try), so against a server that answers such an MKCALENDAR with 403
CALDAV:supported-calendar-component — davbridge, whose providers' calendars hold events only —
the whole run aborts in a later check. The guard grades the refusal the way the tester itself
grades a refused task save (save-load.todo not available) and lets the run go on. Nothing else
of the tester is changed.

Usage: python -m tests.peer.run_caldav_server_tester <caldav-server-tester arguments>
"""

from __future__ import annotations

import sys
from typing import Any

from caldav.lib.error import DAVError
from caldav_server_tester import check_server_compatibility, checks

_original = checks.PrepareCalendar._prepare_task_calendar


def _guarded(self: Any, cal_id: str, name: str, add_if_not_existing: Any) -> bool:
    try:
        return bool(_original(self, cal_id, name, add_if_not_existing))
    except DAVError:
        self.set_feature("save-load.todo", False)
        self.set_feature("save-load.todo.mixed-calendar", False)
        return False


checks.PrepareCalendar._prepare_task_calendar = _guarded  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(check_server_compatibility())
