"""Google API errors as the sandbox raises them, and their JSON envelopes.

Calendar errors use the envelope of the Calendar guide "Handle API errors"
(`{"error": {"errors": [{domain, reason, message, ...}], "code", "message"}}`, plus `status` for
401/403 as Google's front end adds it). OAuth endpoints answer RFC 6749 JSON instead
(`{"error", "error_description"}`), see oauth.py. This module must not know about HTTP routing.
"""

from __future__ import annotations

from typing import Any

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
USAGE_REASONS = {
    "rateLimitExceeded",
    "userRateLimitExceeded",
    "quotaExceeded",
    "dailyLimitExceeded",
}


class ApiError(Exception):
    """One Calendar API error: HTTP status, Google `reason`, message and optional location."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str | None = None,
        location: str | None = None,
        location_type: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.domain = domain or ("usageLimits" if reason in USAGE_REASONS else "global")
        self.location, self.location_type = location, location_type
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.message,
        }
        if self.location:
            item["location"] = self.location
            item["locationType"] = self.location_type or "parameter"
        err: dict[str, Any] = {"errors": [item], "code": self.status, "message": self.message}
        if self.status in (401, 403, 429):
            err["status"] = STATUS_NAMES[self.status]
        return {"error": err}


def not_found() -> ApiError:
    return ApiError(404, "notFound", "Not Found")


def bad_request(message: str, reason: str = "invalid", location: str | None = None) -> ApiError:
    return ApiError(400, reason, message, location=location)


def deleted() -> ApiError:
    # "Handle API errors", 410 Gone: deleting an event that is already deleted.
    return ApiError(410, "deleted", "Resource has been deleted")


def full_sync_required() -> ApiError:
    # "Synchronize resources efficiently": an invalid/expired sync token answers 410 Gone.
    return ApiError(
        410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
    )


def precondition_failed() -> ApiError:
    return ApiError(
        412, "conditionNotMet", "Precondition Failed", location="If-Match", location_type="header"
    )


def forbidden_reader() -> ApiError:
    # "Handle API errors", 403: Forbidden for non-organizer / insufficient calendar access.
    return ApiError(403, "forbidden", "You need to have writer access to this calendar.")


def insufficient_scope() -> ApiError:
    return ApiError(
        403, "insufficientPermissions", "Request had insufficient authentication scopes."
    )


def auth_error() -> ApiError:
    return ApiError(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        location="Authorization",
        location_type="header",
    )
