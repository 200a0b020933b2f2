"""Emulated Microsoft identity platform v2.0 endpoints (what msal talks to).

Routes: OIDC discovery (v2-protocols-oidc.md), /authorize with a plain sign-in form
(v2-oauth2-auth-code-flow.md: PKCE S256, state, nonce, response_mode query|fragment|form_post),
/devicecode, a device sign-in page, and logout; /token is served by grants.py. Errors use AAD's
body (aad.py). This module must not touch mailboxes beyond reading users; Graph routes live in
graph_routes.py.
"""

from __future__ import annotations

import html
import secrets
import time
import uuid
from urllib.parse import urlencode

from aiohttp import web

from sandbox import grants
from sandbox.aad import (
    aad_error,
    bad_tenant,
    check_password,
    redirect_ok,
    scopes_of,
    st_of,
    tenant_ok,
)
from sandbox.mailbox import User
from sandbox.state import SandboxState
from sandbox.tokens import CODE_LIFETIME, DEVICE_CODE_LIFETIME, AuthCode, DeviceCode


async def discovery(request: web.Request) -> web.Response:
    st, tenant = st_of(request), request.match_info["tenant"]
    if not tenant_ok(st, tenant):
        return bad_tenant(tenant)
    base = f"{st.base_url}/{tenant}"
    issuer_tenant = st.tenant if tenant not in ("common", "organizations") else "{tenantid}"
    return web.json_response(
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{st.base_url}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{st.base_url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "email",
                "oid",
            ],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": st.base_url.split("://", 1)[1],
            "rbac_url": "https://pas.windows.net",
        }
    )


async def jwks(request: web.Request) -> web.Response:
    return web.json_response({"keys": []})


# ---- authorize --------------------------------------------------------------------------
_FORM = """<!doctype html><html><head><meta charset="utf-8"><title>Sign in to your account</title>
</head><body><h1>Sign in</h1><p>{app} wants to access your calendars.</p>{error}
<form method="post" action="{action}">{hidden}
<label>Email <input name="username" type="email" value="{login_hint}"></label><br>
<label>Password <input name="password" type="password"></label><br>
<button type="submit">Sign in</button>
<button type="submit" name="cancel" value="1" formnovalidate>Cancel</button></form></body></html>"""

_AUTH_PARAMS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "prompt",
    "login_hint",
    "client_info",
    "claims",
    "domain_hint",
)


def _page(status: int, title: str, text: str) -> web.Response:
    body = (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


def _redirect(params: dict[str, str], result: dict[str, str]) -> web.Response:
    uri, mode = params["redirect_uri"], params.get("response_mode") or "query"
    if params.get("state"):
        result["state"] = params["state"]
    if mode == "form_post":
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in result.items()
        )
        return web.Response(
            content_type="text/html",
            text=(
                f'<html><body onload="document.forms[0].submit()"><form method="post" '
                f'action="{html.escape(uri)}">{fields}<noscript><button>Continue</button></noscript>'
                "</form></body></html>"
            ),
        )
    sep = "#" if mode == "fragment" else ("&" if "?" in uri else "?")
    raise web.HTTPFound(uri + sep + urlencode(result))


def _auth_error(params: dict[str, str], error: str, code: int, text: str) -> web.Response:
    return _redirect(params, {"error": error, "error_description": f"AADSTS{code}: {text}"})


def _check_authorize(st: SandboxState, tenant: str, params: dict[str, str]) -> web.Response | None:
    """Errors that show a page (never redirect) come first, as AAD does."""
    if not tenant_ok(st, tenant):
        return _page(400, "Sign in error", f"AADSTS90002: Tenant '{tenant}' not found.")
    if params.get("client_id") not in st.tokens.apps:
        return _page(
            400,
            "Sign in error",
            "AADSTS700016: Application with identifier "
            f"'{params.get('client_id')}' was not found in the directory.",
        )
    if not redirect_ok(params.get("redirect_uri", "")):
        return _page(
            400,
            "Sign in error",
            "AADSTS50011: The redirect URI "
            f"'{params.get('redirect_uri')}' specified in the request does not match the "
            "redirect URIs configured for the application.",
        )
    if params.get("response_type") != "code":
        return _auth_error(
            params,
            "unsupported_response_type",
            700054,
            "response_type must be 'code' for this application.",
        )
    if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
        return _auth_error(
            params, "invalid_request", 9002326, "Only S256 is supported for code_challenge_method."
        )
    if params.get("code_challenge_method") and not params.get("code_challenge"):
        return _auth_error(
            params,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'code_challenge'.",
        )
    if params.get("prompt") == "none":
        return _auth_error(
            params,
            "login_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.",
        )
    return None


def _form(st: SandboxState, tenant: str, params: dict[str, str], error: str = "") -> web.Response:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k in _AUTH_PARAMS
    )
    body = _FORM.format(
        app=html.escape(st.tokens.apps[params["client_id"]].name),
        error=f'<p role="alert">{html.escape(error)}</p>' if error else "",
        action=f"/{html.escape(tenant)}/oauth2/v2.0/authorize",
        hidden=hidden,
        login_hint=html.escape(params.get("login_hint", "")),
    )
    return web.Response(text=body, content_type="text/html")


async def authorize(request: web.Request) -> web.Response:
    st, tenant = st_of(request), request.match_info["tenant"]
    params = {k: v for k, v in request.query.items()}
    if request.method == "POST":
        form = await request.post()
        params = {k: str(v) for k, v in form.items()}
    problem = _check_authorize(st, tenant, params)
    if problem is not None:
        return problem
    if request.method == "POST" and params.get("cancel"):
        # the user declines: an error response to the redirect URI (RFC 6749 §4.1.2.1;
        # Entra ID "AADSTS65004: User declined to consent to access the app.")
        return _auth_error(
            params, "access_denied", 65004, "User declined to consent to access the app."
        )
    if request.method == "GET" or "username" not in params:
        return _form(st, tenant, params)
    user = check_password(st, params.get("username", ""), params.get("password", ""))
    if user is None:
        return _form(st, tenant, params, "AADSTS50126: Your account or password is incorrect.")
    code = "1.AR" + secrets.token_urlsafe(48)
    st.tokens.codes[code] = AuthCode(
        code,
        params["client_id"],
        params["redirect_uri"],
        user.id,
        scopes_of(params.get("scope", "")),
        params.get("nonce"),
        params.get("code_challenge"),
        params.get("code_challenge_method"),
        time.time() + CODE_LIFETIME,
    )
    return _redirect(params, {"code": code, "session_state": str(uuid.uuid4())})


async def devicecode(request: web.Request) -> web.Response:
    st, tenant = st_of(request), request.match_info["tenant"]
    if not tenant_ok(st, tenant):
        return bad_tenant(tenant)
    form = {k: str(v) for k, v in (await request.post()).items()}
    if form.get("client_id") not in st.tokens.apps:
        return aad_error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{form.get('client_id')}' was not found.",
        )
    user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
    dev = DeviceCode(
        "DAQABAAEAAA" + secrets.token_urlsafe(48),
        user_code,
        form["client_id"],
        scopes_of(form.get("scope", "")),
        time.time() + DEVICE_CODE_LIFETIME,
    )
    st.tokens.devices[dev.device_code] = dev
    uri = f"{st.base_url}/devicelogin"
    return web.json_response(
        {
            "user_code": user_code,
            "device_code": dev.device_code,
            "verification_uri": uri,
            "expires_in": DEVICE_CODE_LIFETIME,
            "interval": 5,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the code "
            f"{user_code} to authenticate.",
        }
    )


def approve_device(st: SandboxState, user_code: str, user: User) -> bool:
    for dev in st.tokens.devices.values():
        if dev.user_code == user_code.strip().upper() and dev.exp > time.time():
            dev.user_id = user.id
            return True
    return False


async def devicelogin(request: web.Request) -> web.Response:
    st = st_of(request)
    msg = ""
    if request.method == "POST":
        form = {k: str(v) for k, v in (await request.post()).items()}
        user = check_password(st, form.get("username", ""), form.get("password", ""))
        if user is None:
            msg = "Your account or password is incorrect."
        elif approve_device(st, form.get("user_code", ""), user):
            return _page(200, "Signed in", "You can close this window.")
        else:
            msg = "That code didn't work. Check the code and try again."
    return web.Response(
        content_type="text/html",
        text=(
            "<!doctype html><html><body><h1>Enter code</h1>"
            + (f'<p role="alert">{html.escape(msg)}</p>' if msg else "")
            + '<form method="post"><input name="user_code" placeholder="Code"><br>'
            '<input name="username" type="email"><br><input name="password" type="password"><br>'
            "<button>Next</button></form></body></html>"
        ),
    )


async def logout(request: web.Request) -> web.Response:
    target = request.query.get("post_logout_redirect_uri", "")
    if target and redirect_ok(target):
        raise web.HTTPFound(target)
    return _page(200, "Signed out", "You signed out of your account.")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", discovery)
    app.router.add_get("/{tenant}/discovery/v2.0/keys", jwks)
    app.router.add_route("GET", "/{tenant}/oauth2/v2.0/authorize", authorize)
    app.router.add_route("POST", "/{tenant}/oauth2/v2.0/authorize", authorize)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", grants.token)
    app.router.add_post("/{tenant}/oauth2/v2.0/devicecode", devicecode)
    app.router.add_get("/{tenant}/oauth2/v2.0/logout", logout)
    app.router.add_route("*", "/devicelogin", devicelogin)
