"""exchangelib exceptions -> bridge.errors, and the back-off policy for EWS throttling.

What it does: `translate` maps an exchangelib error to the bridge error tree (plain words, the
EWS response code kept in `code`); `call` runs one EWS operation under a `RetryPolicy` (bridge.providers.common.retry), honouring the
`BackOffMilliseconds` of an `ErrorServerBusy` fault while the policy's budget lasts and raising
ProviderBusy(retry_after) after that.
What it must not do: retry anything but throttling/transient faults, or sleep without the
injected `sleep` (tests record the waits instead of waiting).

Vendor references: Microsoft "EWS throttling in Exchange" (ErrorServerBusy carries
BackOffMilliseconds in MessageXml), "ResponseCode" (ErrorIrresolvableConflict, ErrorItemNotFound,
ErrorAccessDenied, ErrorInvalidSyncStateData ...), exchangelib 5.6 errors.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import requests
from exchangelib import errors as ews

from bridge.errors import (
    AuthExpired,
    BridgeError,
    CursorExpired,
    PreconditionFailed,
    ProviderBusy,
    ProviderError,
    ProviderRefused,
    ReadOnly,
    RemoteNotFound,
)
from bridge.plainwords import reason, scrub
from bridge.providers.common.retry import RetryPolicy, TryAgain, run

T = TypeVar("T")
PROVIDER = "ews"
DEFAULT_BACKOFF = 5.0  # seconds, when ErrorServerBusy carries no BackOffMilliseconds


# EWS "throttling": a BackOffMilliseconds longer than max_single_wait_s is not waited for.
PULL_POLICY = RetryPolicy(max_attempts=6, max_total_wait_s=60.0, max_single_wait_s=30.0)
WRITE_POLICY = RetryPolicy(max_attempts=2, max_total_wait_s=3.0, max_single_wait_s=2.0)


def _code(error: BaseException) -> str:
    return type(error).__name__


def translate(error: BaseException) -> BridgeError:
    """The bridge error for an exchangelib/requests error (returned, not raised)."""
    if isinstance(error, BridgeError):
        return error
    message = scrub(str(error)) or _code(error)
    if isinstance(error, ews.UnauthorizedError):
        return AuthExpired(
            PROVIDER,
            "Exchange rejected the user name or password (wrong password, or it was changed "
            "or has expired): enter the current password again",
            "Unauthorized",
            401,
        )
    if isinstance(error, ews.ErrorServerBusy):
        wait = float(error.back_off) if error.back_off else DEFAULT_BACKOFF
        return ProviderBusy(
            PROVIDER, f"Exchange is busy, retry in {wait:g} s", wait, "ErrorServerBusy", 503
        )
    if isinstance(error, ews.RateLimitError):
        return ProviderBusy(PROVIDER, "Exchange is busy", float(error.wait), "ErrorServerBusy", 503)
    if isinstance(error, ews.ErrorInvalidSyncStateData):
        return CursorExpired(PROVIDER, "the sync state is no longer valid", _code(error))
    if isinstance(error, ews.ErrorIrresolvableConflict | ews.ErrorStaleObject):
        return PreconditionFailed(
            PROVIDER, "the item changed in Exchange since it was read", _code(error), 412
        )
    if isinstance(error, ews.ErrorItemNotFound | ews.ErrorFolderNotFound):
        return RemoteNotFound(PROVIDER, "Exchange no longer has this item", _code(error), 404)
    if isinstance(error, ews.ErrorAccessDenied | ews.ErrorCannotDeleteObject):
        return ReadOnly(PROVIDER, f"Exchange does not allow this change: {message}", _code(error))
    if isinstance(error, ews.ResponseMessageError) and _code(error).startswith("ErrorInvalid"):
        return ProviderRefused(PROVIDER, f"Exchange refused the request: {message}", _code(error))
    if isinstance(error, ews.ErrorCalendarOccurrenceIsDeletedFromRecurrence):
        return RemoteNotFound(PROVIDER, "that occurrence was already cancelled", _code(error))
    if isinstance(error, _TRANSIENT):
        return ProviderBusy(PROVIDER, f"Exchange failed: {message}", DEFAULT_BACKOFF, _code(error))
    if isinstance(error, requests.RequestException | ConnectionError | ews.ErrorTimeoutExpired):
        return ProviderBusy(
            PROVIDER,
            f"could not reach Exchange: {reason(error)} — check the EWS URL and the firewall",
            DEFAULT_BACKOFF,
        )
    if isinstance(error, ews.ResponseMessageError):
        return ProviderRefused(PROVIDER, f"Exchange refused the request: {message}", _code(error))
    return ProviderError(PROVIDER, f"Exchange failed: {message}", _code(error))


_TRANSIENT = (
    ews.ErrorInternalServerTransientError,
    ews.ErrorInternalServerError,
    ews.ErrorMailboxStoreUnavailable,
    ews.ErrorMailboxMoveInProgress,
    ews.ErrorTooManyObjectsOpened,
)
_RETRYABLE = (ews.ErrorServerBusy, ews.ErrorInternalServerTransientError)


def call(
    operation: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run `operation`; back off as Exchange asks within `policy`; translate errors."""

    def attempt(_: int) -> T:
        try:
            return operation()
        except _RETRYABLE as error:
            back_off = getattr(error, "back_off", None)
            wait = float(back_off) if back_off else DEFAULT_BACKOFF
            raise TryAgain(translate(error), wait) from error
        except BridgeError:
            raise
        except (ews.EWSError, requests.RequestException, OSError) as error:
            raise translate(error) from error

    return run(attempt, policy, sleep)
