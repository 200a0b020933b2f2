"""Radicale's own reasons for a refusal, kept for the response body.

Radicale answers many refusals with a fixed text ("Bad Request", "Conflict in the request.")
and writes the actual reason only to its log ("Bad PUT request on '/a/b.ics' (prepare): …").
`Reasons` is a logging handler on the "radicale" logger that, during one request, collects
those warnings; `explained` puts the last one into the body a client sees. Nothing else is
kept; passwords never reach these records (Radicale logs login names only).
Imports only the standard library.
"""

from __future__ import annotations

import contextvars
import gzip
import logging
import zlib

_current: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "davbridge_radicale_reasons", default=None
)
_GENERIC = {
    b"Bad Request",
    b"Conflict in the request.",
    b"Precondition failed.",
    b"Action on the requested resource refused.",
}
_LONGEST = 400


class Reasons(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        found = _current.get()
        if found is not None:
            found.append(record.getMessage().split("\n", 1)[0][:_LONGEST])


_HANDLER = Reasons()


def install() -> None:
    logger = logging.getLogger("radicale")
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)


def begin() -> contextvars.Token[list[str] | None]:
    return _current.set([])


def so_far() -> list[str]:
    """The reasons collected so far in this request (empty outside one)."""
    return list(_current.get() or [])


def end(token: contextvars.Token[list[str] | None]) -> list[str]:
    found = _current.get() or []
    _current.reset(token)
    return found


def explained(
    status_text: str, headers: list[tuple[str, str]], answers: list[bytes], reasons: list[str]
) -> tuple[list[tuple[str, str]], list[bytes]]:
    """Headers and body with Radicale's generic text replaced by "<text>: <reason>"."""
    if not answers or status_text[:1] != "4":
        return headers, answers
    named = {k.lower(): v for k, v in headers}
    zipped = named.get("content-encoding") == "gzip"
    body = b"".join(answers)
    try:
        text = gzip.decompress(body) if zipped else body
    except (OSError, EOFError, zlib.error):
        return headers, answers
    if text.strip() not in _GENERIC:
        return headers, answers
    reason = reasons[-1] if reasons else "no further detail"
    new = text.strip() + b": " + reason.encode("utf-8", "replace") + b"\n"
    if zipped:
        new = gzip.compress(new, 1)
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    return [*kept, ("Content-Length", str(len(new)))], [new]
