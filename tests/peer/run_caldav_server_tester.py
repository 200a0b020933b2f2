"""Run caldav-server-tester (PyPI `caldav-server-tester`, 1.7) exactly as its console script
does (issue 11, b).

Until task lists existed this module wrapped one step of the tester: 1.7 aborts its whole run
on a server that refuses a VTODO-only MKCALENDAR (`PrepareCalendar._prepare_task_calendar`
calls `principal.make_calendar(..., supported_calendar_component_set=["VTODO"])` outside any
try, and the run then stops in CheckDuplicateEvent's "failed to check declared features"
assertion with no report). Every provider now makes a task list for that request
(README, "Task lists"), so the tester runs unchanged; the upstream report stands for servers
without task lists.

Usage: python -m tests.peer.run_caldav_server_tester <caldav-server-tester arguments>
"""

from __future__ import annotations

import sys

from caldav_server_tester import check_server_compatibility

if __name__ == "__main__":
    sys.exit(check_server_compatibility())
