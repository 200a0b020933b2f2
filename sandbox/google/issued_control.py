"""Test-only control endpoint of the Google sandbox: every secret its OAuth server issued.

  GET    /_control/issued    {access_tokens, refresh_tokens, codes, client_secrets}: lists of
                             the plaintext access tokens, refresh tokens (grants, revoked ones
                             included) and authorization codes the sandbox issued and still
                             holds, and the secrets of its OAuth clients

For the test harness only (tests/e2e/test_secrets_at_rest.py scans the bridge's data dir and log
for each of them): Google never hands out what it issued. Registered by control.py, so the
loopback-only guard applies. Access tokens removed by a revocation ("Revoking a token" kills the
grant's access tokens) or pruned past 5000 are not listed. This module must not change any
state; it only reads the token store.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.google.state import STATE_KEY


async def issued(request: web.Request) -> web.Response:
    tokens = request.app[STATE_KEY].tokens
    return web.json_response(
        {
            "access_tokens": sorted(tokens.access),
            "refresh_tokens": sorted(tokens.grants),
            "codes": sorted(tokens.codes),
            "client_secrets": sorted(c.client_secret for c in tokens.clients.values()),
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_control/issued", issued)
