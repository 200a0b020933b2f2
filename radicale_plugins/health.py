"""`GET /health` (and HEAD, without a body): what a load balancer or monitor needs, and no
more to strangers (SPEC R3, issue 9 point 8).

- No credentials: `{"status": "ok"}` or `{"status": "degraded"}` (some connection is in
  error or needs re-authorization), always 200 while the process serves requests.
- Details (each connection's id, provider, status and last sync) need either the monitoring
  token (`[server] health_token`, sent as `Authorization: Bearer <token>`) or the Basic
  credentials of an administrator (an app password, or the portal password). Wrong
  credentials are a 401 (failures count towards the login throttle), a non-admin a 403.

Imports only bridge.api, radicale_plugins and the standard library.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

from bridge import api
from radicale_plugins.guards import basic_credentials
from radicale_plugins.refusals import Refusal

REALM = "davbridge health details"


def _details_allowed(environ: dict[str, Any]) -> bool | Refusal:
    """False: no credentials (short answer); True: details; a Refusal for bad credentials."""
    bridge = api.current()
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    client = str(environ.get("REMOTE_ADDR", ""))
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        expected = bridge.config().server.health_token
        if expected and hmac.compare_digest(token.strip().encode(), expected.encode()):
            return True
        bridge.lookup_token_failed(client, token.strip())
        return Refusal(401, "Wrong monitoring token ([server] health_token).")
    credentials = basic_credentials(header, REALM)
    if credentials is None:
        return False
    if isinstance(credentials, Refusal):
        return credentials
    outcome = bridge.check_login(credentials.user, credentials.password, client)
    if not outcome.ok:
        try:
            bridge.check_password(credentials.user, credentials.password, client)
        except api.BridgeError as exc:
            retry = outcome.retry_after or int(getattr(exc, "retry_after", 0))
            if retry:
                return Refusal(
                    429,
                    f"Too many failed logins; try again in {retry} seconds.",
                    headers={"Retry-After": str(retry)},
                )
            return Refusal(401, "Wrong user name or password.")
    row = bridge.user_by_name(credentials.user)
    if row is None or not row.is_admin:
        return Refusal(403, "Health details are for administrators and the monitoring token.")
    return True


def answer(environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    allowed = _details_allowed(environ)
    if isinstance(allowed, Refusal):
        content_type, body = allowed.body()
        return allowed.status, {"Content-Type": content_type, **allowed.headers}, body
    connections = api.current().connections_health()
    degraded = any(c.status.degraded for c in connections)
    data: dict[str, Any] = {"status": "degraded" if degraded else "ok"}
    if allowed:
        data["time"] = time.time()
        data["connections"] = [
            {"id": c.id, "provider": c.provider, "status": c.status, "last_sync": c.last_sync}
            for c in connections
        ]
    return (
        200,
        {"Content-Type": "application/json", "Cache-Control": "no-store"},
        (json.dumps(data).encode()),
    )
