"""Turning templates into pages: the jinja2 environment (autoescape on), the words the pages use
for times, services and permissions, and `page()` that renders a template into an HTML answer.

Must not call into the bridge or decide anything about security; it only renders.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

TEMPLATES = Path(__file__).parent / "templates"

SERVICE_LABELS = {"microsoft365": "Microsoft 365", "google": "Google", "exchange": "Exchange"}

STATUS_WORDS = {
    "ok": "working",
    "reauth": "needs re-authorization",
    "error": "has a problem",
    "off": "switched off",
}

PERMISSION_LABELS = {
    "read_calendars": "read calendars",
    "write_calendars": "write calendars",
    "sync_contacts": "sync contacts",
}


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ago"] = human_time
    env.filters["due"] = due_time
    env.filters["exact"] = exact_time
    env.globals["permission_words"] = permission_words
    env.globals["service_label"] = service_label
    env.globals["PERMISSION_LABELS"] = PERMISSION_LABELS
    env.globals["STATUS_WORDS"] = STATUS_WORDS
    return env


def human_time(when: float | None, now: float | None = None, none: str = "never") -> str:
    """'3 minutes ago', 'in 2 minutes', 'just now'; `none` when there is no time."""
    if when is None:
        return none
    delta = when - (time.time() if now is None else now)
    seconds = abs(delta)
    if seconds < 45:
        return "just now" if delta <= 0 else "in a few seconds"
    for size, unit in ((86400 * 365, "year"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size or unit == "minute":
            count = max(1, round(seconds / size))
            words = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"{words} ago" if delta < 0 else f"in {words}"
    raise AssertionError("unreachable")  # pragma: no cover


def due_time(when: float, now: float | None = None) -> str:
    """A time something is expected: 'in 2 minutes', or 'due now' once it has passed (a
    planned sync is never described in the past tense)."""
    if when <= (time.time() if now is None else now):
        return "due now"
    return human_time(when, now)


def exact_time(when: float | None) -> str:
    """An absolute UTC time for a tooltip / <time datetime>."""
    if when is None:
        return ""
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M UTC")


def permission_words(permissions: Mapping[str, bool]) -> list[str]:
    """The granted permissions as words, in a fixed order ('read calendars', …)."""
    return [label for key, label in PERMISSION_LABELS.items() if permissions.get(key)]


def service_label(service: str) -> str:
    return SERVICE_LABELS.get(service, service)


def page(
    env: jinja2.Environment, template: str, status: int, context: Mapping[str, Any]
) -> web.Response:
    """`template` rendered with `context` as an HTML answer."""
    text = env.get_template(template).render(context)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
