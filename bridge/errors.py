"""The one error tree of davbridge. Errors carry the data a caller needs to act on them.

`http_status` is what a DAV client should see when the error reaches the request path.
Messages are for people (CLI, portal, DAV error bodies): they say what failed and what to do,
and never carry an exception repr or object address (scrubbed here as a last safety net).
This module must not import anything from the bridge but bridge.plainwords.
"""

from __future__ import annotations

from bridge.plainwords import scrub


class BridgeError(Exception):
    """Base of every error davbridge raises on purpose."""

    http_status = 500

    def __init__(self, message: str) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message


class ConfigError(BridgeError):
    """The configuration is invalid; `key` names the offending setting."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


class BadInput(BridgeError):
    """A client sent something we cannot accept (malformed iCalendar, wrong component …)."""

    http_status = 400


class PayloadTooLarge(BadInput):
    http_status = 413

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"request body of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class OverlayTooLarge(BadInput):
    """What a client sent that the provider has no field for exceeds the overlay bound
    (`bridge.ical.overlay.OVERLAY_MAX_BYTES`, C10): refused, nothing written."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"this item carries {size} bytes (compressed) of properties the provider has no "
            f"field for; davbridge keeps at most {limit} bytes of them per item (remove some "
            "X- properties or parameters)"
        )
        self.size = size
        self.limit = limit


class NotFound(BridgeError):
    http_status = 404


class UidConflict(BridgeError):
    http_status = 409

    def __init__(self, uid: str, href: str) -> None:
        super().__init__(f"UID {uid!r} is already used by {href!r} in this collection")
        self.uid = uid
        self.href = href


class ProviderError(BridgeError):
    """A provider answered with an error. `provider` is graph|google|ews; `code` the vendor code."""

    http_status = 502

    def __init__(self, provider: str, message: str, code: str | None = None, status: int = 0):
        super().__init__(f"{provider}: {message}" + (f" ({code})" if code else ""))
        self.provider = provider
        self.code = code
        self.status = status


class IncompleteItem(ProviderError):
    """A provider item lacks what a calendar resource needs (RFC 5545 §3.6.1: a VEVENT has
    DTSTART and UID): it is skipped, with a log line naming it, never served invalid."""

    def __init__(self, provider: str, item_id: str, missing: str):
        super().__init__(provider, f"item {item_id or '(no id)'} has no {missing}; skipped")
        self.item_id = item_id
        self.missing = missing


class ProviderRefused(ProviderError):
    """A permanent refusal of a write (invalid request): the client gets 400 with the reason."""

    http_status = 400


class ReadOnly(ProviderError):
    """The calendar or item cannot be written (provider permission)."""

    http_status = 403


class ProviderConflict(ProviderError):
    """The provider holds something that clashes with the request (a UID used elsewhere in
    the mailbox, a calendar name already taken): 409 Conflict."""

    http_status = 409


class PreconditionFailed(ProviderError):
    """The item changed at the provider since the client last saw it (stale ETag/changeKey)."""

    http_status = 412


class RemoteNotFound(ProviderError):
    """The provider no longer has the object."""

    http_status = 404


class Busy(BridgeError):
    """Not now: the client gets 503 with Retry-After `retry_after` seconds (a collection locked
    by another write or pull past the lock timeout, a write past its time budget)."""

    http_status = 503

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Superseded(Busy):
    """A pull's result no longer applies: what it was converted under (the calendar's
    private-event setting) changed while it ran. Nothing of it is stored; the change made the
    next pull a full one."""

    def __init__(self, collection_id: int) -> None:
        super().__init__(
            f"collection {collection_id} changed while it was pulled; the next pull starts over",
            0.0,
        )
        self.collection_id = collection_id


class LimitExceeded(BridgeError):
    """A client's write goes past a configured bound ([limits] `limit` = `value`): 403, the
    message naming the limit and its value."""

    http_status = 403

    def __init__(self, limit: str, value: int, message: str) -> None:
        super().__init__(f"{message} (limit: [limits] {limit} = {value})")
        self.limit = limit
        self.value = value


class ProviderBusy(ProviderError, Busy):
    """Throttled or temporarily failing (429/503/5xx); retry after `retry_after` seconds."""

    http_status = 503

    def __init__(
        self,
        provider: str,
        message: str,
        retry_after: float,
        code: str | None = None,
        status: int = 0,
    ) -> None:
        super().__init__(provider, message, code, status)
        self.retry_after = retry_after


class CursorExpired(ProviderError):
    """The provider's incremental cursor (delta/sync token/sync state) is no longer valid."""

    http_status = 500


class AuthExpired(ProviderError):
    """Tokens are expired or revoked: the connection needs re-authorization (A2)."""

    http_status = 403


class AuthFailed(BridgeError):
    """A DAV/portal login failed."""

    http_status = 401


class Forbidden(BridgeError):
    """The signed-in user may not do this (another user's object, an admin-only action)."""

    http_status = 403


class PolicyRefused(Forbidden):
    """An organisation or group setting (P1–P7) forbids the action; `setting` names it and the
    message says in plain words what is not allowed and whom to ask."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


class TooManyAttempts(BridgeError):
    """Repeated failed logins: refused until `retry_after` seconds have passed."""

    http_status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
