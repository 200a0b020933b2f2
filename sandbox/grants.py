"""The emulated /oauth2/v2.0/token endpoint: authorization_code (+PKCE), refresh_token,
client_credentials and device_code grants, with AAD's error codes.

v2-oauth2-auth-code-flow.md (code redeemed once, PKCE S256 verifier, redirect_uri must match),
refresh-tokens.md (revoked refresh token -> invalid_grant), v2-oauth2-client-creds-grant-flow.md
(scope must be `{resource}/.default`; application permissions in `roles`),
v2-oauth2-device-code.md (authorization_pending until the user signs in).
This module must not render sign-in pages; identity.py does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any

from aiohttp import web

from sandbox.aad import OIDC_SCOPES, aad_error, bad_tenant, scopes_of, st_of, tenant_ok
from sandbox.mailbox import User
from sandbox.state import SandboxState
from sandbox.tokens import unsigned_jwt


def _client(
    st: SandboxState, request: web.Request, form: dict[str, str]
) -> tuple[str, web.Response | None]:
    client_id, secret = form.get("client_id", ""), form.get("client_secret")
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            cid, _, sec = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            cid, sec = "", ""
        client_id, secret = client_id or cid, secret or sec
    app = st.tokens.apps.get(client_id)
    if app is None:
        return client_id, aad_error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory.",
        )
    if not secret:
        return client_id, aad_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: "
            "'client_assertion' or 'client_secret'.",
        )
    if not secrets.compare_digest(secret, app.secret):
        return client_id, aad_error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent "
            "in the request is the client secret value, not the client "
            "secret ID.",
        )
    return client_id, None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _user_tokens(
    st: SandboxState,
    client_id: str,
    user: User,
    scopes: list[str],
    form: dict[str, str],
    nonce: str | None,
) -> web.Response:
    api_scopes = [s for s in scopes if s not in OIDC_SCOPES] or ["User.Read"]
    now = int(time.time())
    claims = {
        "aud": "https://graph.microsoft.com",
        "iss": f"https://sts.windows.net/{st.tenant}/",
        "appid": client_id,
        "oid": user.id,
        "tid": st.tenant,
        "upn": user.upn,
        "scp": " ".join(api_scopes),
        "iat": now,
        "nbf": now,
    }
    at = st.tokens.issue_access("delegated", client_id, user.id, api_scopes, claims)
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": " ".join(api_scopes),
        "expires_in": int(at.exp - time.time()),
        "ext_expires_in": int(at.exp - time.time()),
        "access_token": at.token,
    }
    body["refresh_token"] = st.tokens.issue_refresh(client_id, user.id, scopes).token
    if "openid" in scopes or form.get("grant_type") == "refresh_token":
        id_claims = {
            "aud": client_id,
            "iss": f"{st.base_url}/{st.tenant}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": user.display_name,
            "oid": user.id,
            "preferred_username": user.upn,
            "sub": _b64url(hashlib.sha256(f"{user.id}|{client_id}".encode()).digest()[:24]),
            "tid": st.tenant,
            "ver": "2.0",
            "uti": secrets.token_urlsafe(16),
            "rh": "0.sandbox",
        }
        if "email" in scopes:
            # id-token-claims-reference.md: on the v2.0 endpoint the `email` OpenID Connect
            # scope adds the user's address (the sandbox's mail address is the UPN)
            id_claims["email"] = user.upn
        if nonce:
            id_claims["nonce"] = nonce
        body["id_token"] = unsigned_jwt(id_claims)
    if form.get("client_info") == "1":  # msal asks for it; it keys the account in its cache
        info = {"uid": user.id, "utid": st.tenant}
        body["client_info"] = _b64url(json.dumps(info, separators=(",", ":")).encode())
    st.dirty = True
    return web.json_response(body)


async def token(request: web.Request) -> web.Response:
    st, tenant = st_of(request), request.match_info["tenant"]
    if not tenant_ok(st, tenant):
        return bad_tenant(tenant)
    form = {k: str(v) for k, v in (await request.post()).items()}
    grant = form.get("grant_type", "")
    client_id, problem = _client(st, request, form)
    if (
        grant == "urn:ietf:params:oauth:grant-type:device_code"
        and problem is not None
        and problem.status == 401
        and not form.get("client_secret")
    ):
        problem = None  # public-client style device flow is fine too
    if problem is not None:
        return problem
    if grant == "authorization_code":
        return _grant_code(st, client_id, form)
    if grant == "refresh_token":
        return _grant_refresh(st, client_id, form)
    if grant == "client_credentials":
        return _grant_client_credentials(st, client_id, form)
    if grant == "urn:ietf:params:oauth:grant-type:device_code":
        return _grant_device(st, client_id, form)
    return aad_error(
        400,
        "unsupported_grant_type",
        70003,
        f"The app requested an unsupported grant type '{grant}'.",
    )


def _grant_code(st: SandboxState, client_id: str, form: dict[str, str]) -> web.Response:
    code = st.tokens.codes.get(form.get("code", ""))
    if code is None:
        return aad_error(
            400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
        )
    if code.used:
        return aad_error(
            400,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new "
            "valid code or use an existing refresh token.",
        )
    if code.exp < time.time():
        return aad_error(
            400,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to "
            "inactivity. Send a new interactive authorization request for this user "
            "and resource.",
        )
    if code.client_id != client_id:
        return aad_error(
            400,
            "invalid_grant",
            70000,
            "The provided value for the 'code' parameter is not valid. The code was "
            "issued to a different client.",
        )
    if form.get("redirect_uri") != code.redirect_uri:
        return aad_error(
            400,
            "invalid_grant",
            50148,
            "The redirect_uri doesn't match the one used in the authorization request.",
        )
    if code.code_challenge:
        verifier = form.get("code_verifier", "")
        digest = _b64url(hashlib.sha256(verifier.encode()).digest())
        if not verifier or not secrets.compare_digest(digest, code.code_challenge):
            return aad_error(
                400,
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in "
                "the authorization request.",
            )
    code.used = True
    user = st.mailboxes.users[code.user_id]
    scopes = code.scopes or scopes_of(form.get("scope", ""))
    return _user_tokens(st, client_id, user, scopes, form, code.nonce)


def _grant_refresh(st: SandboxState, client_id: str, form: dict[str, str]) -> web.Response:
    rt = st.tokens.refresh.get(form.get("refresh_token", ""))
    if rt is None:
        return aad_error(
            400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
        )
    if rt.revoked:
        # refresh-tokens.md: password change / revocation invalidates refresh tokens
        return aad_error(
            400,
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth "
            "token is needed. The user might have changed or reset their password.",
        )
    if rt.client_id != client_id:
        return aad_error(
            400,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed: issued to another client.",
        )
    user = st.mailboxes.users.get(rt.user_id)
    if user is None:
        return aad_error(400, "invalid_grant", 50034, "The user account does not exist.")
    scopes = scopes_of(form.get("scope", "")) or rt.scopes
    consented = {s.lower() for s in rt.scopes} | {s.lower() for s in OIDC_SCOPES}
    extra = [s for s in scopes if s.lower() not in consented]
    if extra:
        # Entra ID refuses scopes the user never consented to on a refresh (AADSTS65001)
        return aad_error(
            400,
            "invalid_grant",
            65001,
            f"The user or administrator has not consented to use the application "
            f"with the scopes: {' '.join(extra)}. Send an interactive "
            "authorization request for this user and resource.",
        )
    return _user_tokens(st, client_id, user, scopes, form, None)


def _grant_client_credentials(
    st: SandboxState, client_id: str, form: dict[str, str]
) -> web.Response:
    scopes = scopes_of(form.get("scope", ""))
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        return aad_error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {form.get('scope', '')} is not valid. "
            "Client credential flows must have a scope value with /.default suffixed "
            "to the resource identifier (application ID URI).",
        )
    if scopes[0].rstrip("/").removesuffix("/.default") not in (
        "https://graph.microsoft.com",
        "00000003-0000-0000-c000-000000000000",
    ):
        return aad_error(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {scopes[0]} was not found in the tenant.",
        )
    # One app registration may hold delegated AND application permissions ("Application and
    # delegated permissions for access tokens in the Microsoft identity platform": both are
    # configured on the same App registration page; application permissions work once an admin
    # granted consent). The tenant emulated here has admin consent for the bridge's
    # registration as well as for the separate admin app, so both get the roles.
    roles = ["Calendars.ReadWrite", "Contacts.ReadWrite", "User.Read.All"]
    now = int(time.time())
    claims = {
        "aud": "https://graph.microsoft.com",
        "iss": f"https://sts.windows.net/{st.tenant}/",
        "appid": client_id,
        "tid": st.tenant,
        "roles": roles,
        "iat": now,
        "nbf": now,
        "idtyp": "app",
    }
    at = st.tokens.issue_access("application", client_id, None, roles, claims)
    st.dirty = True
    return web.json_response(
        {
            "token_type": "Bearer",
            "expires_in": int(at.exp - time.time()),
            "ext_expires_in": int(at.exp - time.time()),
            "access_token": at.token,
        }
    )


def _grant_device(st: SandboxState, client_id: str, form: dict[str, str]) -> web.Response:
    dev = st.tokens.devices.get(form.get("device_code", ""))
    if dev is None or dev.client_id != client_id or dev.redeemed:
        return aad_error(400, "invalid_grant", 70000, "Provided grant is invalid or malformed.")
    if dev.exp < time.time():
        return aad_error(
            400,
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is not valid. "
            "This device code has expired.",
        )
    if dev.user_id is None:
        return aad_error(
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    dev.redeemed = True
    return _user_tokens(st, client_id, st.mailboxes.users[dev.user_id], dev.scopes, form, None)
