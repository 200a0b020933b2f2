"""Shared pieces of the emulated identity platform: AAD error bodies, tenant and redirect checks.

Error body per the identity platform docs (reference-error-codes.md): error, error_description
"AADSTSnnnn: …", error_codes, timestamp, trace_id, correlation_id, error_uri.
This module must not define routes.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid

from aiohttp import web

from sandbox.mailbox import User
from sandbox.state import STATE_KEY, SandboxState

OIDC_SCOPES = {"openid", "profile", "offline_access", "email"}
TENANT_ALIASES = {"common", "organizations", "contoso.example"}
_REDIRECT_RE = re.compile(r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/[^#]*)?$")


def redirect_ok(uri: str) -> bool:
    return bool(_REDIRECT_RE.match(uri or ""))


def aad_error(status: int, error: str, code: int, text: str) -> web.Response:
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {corr} "
        f"Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": "https://login.microsoftonline.com/error?code=" + str(code),
    }
    return web.json_response(body, status=status)


def st_of(request: web.Request) -> SandboxState:
    return request.app[STATE_KEY]


def tenant_ok(st: SandboxState, tenant: str) -> bool:
    return tenant == st.tenant or tenant.lower() in TENANT_ALIASES


def bad_tenant(tenant: str) -> web.Response:
    return aad_error(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID.",
    )


def check_password(st: SandboxState, username: str, password: str) -> User | None:
    for user in st.mailboxes.users.values():
        if user.upn.lower() == username.strip().lower() and secrets.compare_digest(
            user.password, password
        ):
            return user
    return None


def scopes_of(text: str) -> list[str]:
    return [s for s in text.split() if s]
