"""An HTTP error status from a provider's REST API -> the bridge error for it.

What it does: `http_error` maps the status of a Graph or Google answer (RFC 9110 §15) to the
bridge error tree, keeping the provider's error code and message: 401 -> AuthExpired (the token
was refused: refresh or re-consent), 429 and 5xx -> ProviderBusy (retry after `busy_wait`
seconds), 403 -> ReadOnly, 404 -> RemoteNotFound, 410 -> CursorExpired (the change token is
gone), 412 -> PreconditionFailed (the item changed since it was read), anything else ->
ProviderRefused. Each provider's client checks its own special codes first (Graph
syncStateNotFound, ErrorIrresolvableConflict; Google rateLimitExceeded, 410 deleted) and calls
this for the rest.
What it must not do: read response bodies (the clients parse their envelopes) or retry.
"""

from __future__ import annotations

from bridge.errors import (
    AuthExpired,
    CursorExpired,
    PreconditionFailed,
    ProviderBusy,
    ProviderError,
    ProviderRefused,
    ReadOnly,
    RemoteNotFound,
)


def http_error(
    provider: str, status: int, message: str, code: str | None, busy_wait: float
) -> ProviderError:
    """The bridge error for an HTTP error `status` (see the module docstring)."""
    if status == 401:
        return AuthExpired(provider, message, code, status)
    if status == 429 or status >= 500:
        return ProviderBusy(provider, message, busy_wait, code, status)
    if status == 403:
        return ReadOnly(provider, message, code, status)
    if status == 404:
        return RemoteNotFound(provider, message, code, status)
    if status == 410:
        return CursorExpired(provider, message, code, status)
    if status == 412:
        return PreconditionFailed(provider, message, code, status)
    return ProviderRefused(provider, message, code, status)
