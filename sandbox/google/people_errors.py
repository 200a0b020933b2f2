"""People API errors and their JSON envelope.

The People API answers the newer Google error shape ("Google APIs error model",
cloud.google.com/apis/design/errors): `{"error": {"code", "message", "status", "errors":
[{"message", "domain", "reason"}], "details": [...]}}`. Reported real answers (Go client prints
"Error 400: Request person.etag is different ..., failedPrecondition") carry the legacy `errors`
list as well; an expired sync token carries a `google.rpc.ErrorInfo` with reason
EXPIRED_SYNC_TOKEN (people.connections.list reference). This module must not know about routing.
"""

from __future__ import annotations

from typing import Any

from sandbox.google.errors import STATUS_NAMES, ApiError

STATUS_BY_REASON = {
    "failedPrecondition": "FAILED_PRECONDITION",
    "alreadyExists": "ALREADY_EXISTS",
    "insufficientPermissions": "PERMISSION_DENIED",
}


class PeopleError(ApiError):
    """One People API error; `info_reason` adds a google.rpc.ErrorInfo detail."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        info_reason: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(status, reason, message, retry_after=retry_after)
        self.info_reason = info_reason

    def to_json(self) -> dict[str, Any]:
        err: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "errors": [{"message": self.message, "domain": "global", "reason": self.reason}],
            "status": STATUS_BY_REASON.get(self.reason) or STATUS_NAMES.get(self.status, "UNKNOWN"),
        }
        if self.info_reason:
            err["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": self.info_reason,
                    "domain": "people.googleapis.com",
                }
            ]
        return {"error": err}


def invalid(message: str) -> PeopleError:
    return PeopleError(400, "badRequest", message)


def not_found() -> PeopleError:
    return PeopleError(404, "notFound", "Requested entity was not found.")


def expired_sync_token() -> PeopleError:
    # people.connections.list: expired token -> ErrorInfo reason EXPIRED_SYNC_TOKEN (400).
    return PeopleError(
        400,
        "failedPrecondition",
        "Sync token is expired. Clear local cache and retry call without the sync token.",
        info_reason="EXPIRED_SYNC_TOKEN",
    )


def insufficient_scope() -> PeopleError:
    return PeopleError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        info_reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
    )
