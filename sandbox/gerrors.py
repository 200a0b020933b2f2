"""Graph error values raised by the emulated model and turned into Graph's error envelope.

Envelope per errors.md: {"error": {"code", "message", "innerError": {"date", "request-id",
"client-request-id"}}}. This module must not import aiohttp or any other sandbox module.
"""

from __future__ import annotations


class GraphError(Exception):
    """An error Graph would answer with `status` and error `code`."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def not_found(what: str = "The specified object was not found in the store.") -> GraphError:
    # errors.md + observed Outlook behaviour: unknown item ids give 404 ErrorItemNotFound
    return GraphError(404, "ErrorItemNotFound", what)


def bad_request(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    return GraphError(400, code, message)


def access_denied(
    message: str = "Access is denied. Check credentials and try again.",
) -> GraphError:
    return GraphError(403, "ErrorAccessDenied", message)
