"""Emulated Google OAuth 2.0 endpoints (what google-auth / google-auth-oauthlib talk to).

Per "Using OAuth 2.0 for Web Server Applications" (developers.google.com/identity/protocols/
oauth2/web-server) and the OpenID Connect page:
  GET  /o/oauth2/v2/auth   sign-in form (the request travels in hidden fields)
  POST /o/oauth2/v2/auth   password check -> 302 redirect_uri?state&code&scope&authuser&hd
  POST /token              authorization_code (PKCE checked, refresh_token with
                           access_type=offline) and refresh_token grants; client_secret in the
                           body or HTTP Basic; RFC 6749 error JSON (400 invalid_grant
                           "Token has been expired or revoked.", 401 invalid_client)
  POST /revoke?token=      revokes the token and its grant (body or query)
  GET  /oauth2/v3/userinfo, GET /oauth2/v3/tokeninfo?access_token=
Redirect URIs: loopback only (http://127.0.0.1:*/…, http://localhost:*/…), as for a local app.
This module must not touch calendars.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import time
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from aiohttp import web

from sandbox.google.people_model import PEOPLE_SCOPES
from sandbox.google.state import STATE_KEY, GoogleState
from sandbox.google.tokens import EMAIL, KNOWN_SCOPES, PROFILE, normalize_scopes, pkce_ok

AUTH_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "access_type",
    "prompt",
    "login_hint",
    "include_granted_scopes",
    "nonce",
)
_FORM = """<!doctype html><html><head><meta charset="utf-8"><title>Sign in - Google Accounts</title>
</head><body><h1>Sign in</h1><p>to continue to {app}</p>{error}
<form method="post" action="/o/oauth2/v2/auth">{hidden}
<label>Email <input name="username" type="email" value="{login_hint}"></label><br>
<label>Password <input name="password" type="password"></label><br>
<button type="submit">Next</button>
<button type="submit" name="cancel" value="1" formnovalidate>Cancel</button></form></body></html>"""


def _st(request: web.Request) -> GoogleState:
    return request.app[STATE_KEY]


def _page(status: int, code: str, text: str) -> web.Response:
    body = (
        f"<!doctype html><html><head><title>Error {status}: {html.escape(code)}</title></head>"
        f"<body><h1>Access blocked: Authorization Error</h1><p>Error {status}: "
        f"{html.escape(code)}</p><p>{html.escape(text)}</p></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def redirect_ok(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost")


def _check_request(st: GoogleState, p: dict[str, str]) -> web.Response | None:
    if p.get("client_id") not in st.tokens.clients:
        return _page(401, "invalid_client", "The OAuth client was not found.")
    if not redirect_ok(p.get("redirect_uri", "")):
        return _page(400, "redirect_uri_mismatch", "The redirect URI is not registered.")
    if p.get("response_type") != "code":
        return _page(400, "unsupported_response_type", "Only response_type=code is supported.")
    scopes = normalize_scopes(p.get("scope", ""))
    if not scopes:
        return _page(400, "invalid_request", "Missing required parameter: scope")
    directory = "https://www.googleapis.com/auth/directory.readonly"  # K5 (branch views)
    unknown = [
        s for s in scopes if s not in KNOWN_SCOPES and s not in PEOPLE_SCOPES and s != directory
    ]
    if unknown:
        return _page(400, "invalid_scope", f"Some requested scopes were invalid: {unknown}")
    if p.get("code_challenge") and p.get("code_challenge_method", "plain") not in ("S256", "plain"):
        return _page(400, "invalid_request", "Invalid code_challenge_method.")
    return None


def _form(st: GoogleState, p: dict[str, str], error: str = "") -> web.Response:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(p[k], quote=True)}">'
        for k in AUTH_PARAMS
        if k in p and k != "login_hint"
    )
    text = _FORM.format(
        app=html.escape(st.tokens.clients[p["client_id"]].name),
        error=f'<p class="error">{html.escape(error)}</p>' if error else "",
        hidden=hidden,
        login_hint=html.escape(p.get("login_hint", ""), quote=True),
    )
    return web.Response(text=text, content_type="text/html")


async def authorize_get(request: web.Request) -> web.Response:
    st = _st(request)
    p = dict(request.query)
    return _check_request(st, p) or _form(st, p)


async def authorize_post(request: web.Request) -> web.Response:
    st = _st(request)
    p = {k: str(v) for k, v in (await request.post()).items()}
    bad = _check_request(st, p)
    if bad is not None:
        return bad
    if p.get("cancel"):
        # the user denies access: "error=access_denied" to the redirect URI (Google "Using
        # OAuth 2.0 for Web Server Applications", handle the OAuth 2.0 server response)
        denied = {"error": "access_denied", **({"state": p["state"]} if "state" in p else {})}
        sep = "&" if "?" in p["redirect_uri"] else "?"
        raise web.HTTPFound(f"{p['redirect_uri']}{sep}{urlencode(denied)}")
    user = p.get("username", "").strip().lower()
    if user not in st.passwords or st.passwords[user] != p.get("password", ""):
        return _form(st, p, "Wrong password. Try again or click Forgot password to reset it.")
    scopes = normalize_scopes(p["scope"])
    code = st.tokens.issue_code(
        p["client_id"],
        user,
        p["redirect_uri"],
        scopes,
        p.get("access_type") == "offline",
        p.get("code_challenge") or None,
        p.get("code_challenge_method", "plain"),
        nonce=p.get("nonce") or None,
    )
    st.dirty = True
    query: dict[str, str] = {}
    if "state" in p:
        query["state"] = p["state"]
    query.update(
        code=code,
        scope=" ".join(scopes),
        authuser="0",
        hd=user.split("@", 1)[1],
        prompt=p.get("prompt") or "consent",
    )
    sep = "&" if "?" in p["redirect_uri"] else "?"
    raise web.HTTPFound(f"{p['redirect_uri']}{sep}{urlencode(query)}")


def _client_auth(st: GoogleState, request: web.Request, form: dict[str, str]) -> str | None:
    cid, secret = form.get("client_id", ""), form.get("client_secret", "")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:]).decode()
        except ValueError:
            raw = ":"
        a, _, b = raw.partition(":")
        cid, secret = unquote(a), unquote(b)
    client = st.tokens.clients.get(cid)
    if client is None or client.client_secret != secret:
        return None
    return cid


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def user_sub(user: str) -> str:
    return str(int(hashlib.sha256(user.encode()).hexdigest()[:15], 16) + 10**20)


def id_token(
    st: GoogleState, client_id: str, user: str, scopes: list[str], nonce: str | None = None
) -> str:
    """An unsigned (alg none) OpenID Connect ID token with Google's claims ("OpenID Connect":
    the `nonce` of the authentication request is echoed; `email_verified` beside `email`)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "https://accounts.google.com",
        "azp": client_id,
        "aud": client_id,
        "sub": user_sub(user),
        "hd": user.split("@", 1)[1],
        "iat": now,
        "exp": now + 3600,
    }
    if EMAIL in scopes:
        claims.update(email=user, email_verified=True)
    if PROFILE in scopes:
        claims["name"] = st.names.get(user, user)
    if nonce:
        claims["nonce"] = nonce
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def _token_body(
    st: GoogleState,
    client_id: str,
    user: str,
    scopes: list[str],
    refresh: str | None,
    nonce: str | None = None,
) -> dict[str, Any]:
    tok = st.tokens.issue_access(client_id, user, scopes, refresh)
    body: dict[str, Any] = {
        "access_token": tok.token,
        "expires_in": st.tokens.access_lifetime,
        "scope": " ".join(scopes),
        "token_type": "Bearer",
    }
    if "openid" in scopes:
        body["id_token"] = id_token(st, client_id, user, scopes, nonce)
    return body


async def token(request: web.Request) -> web.Response:
    st = _st(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    client_id = _client_auth(st, request, form)
    if client_id is None:
        return _oauth_error(401, "invalid_client", "Unauthorized")
    grant_type = form.get("grant_type", "")
    st.dirty = True
    if grant_type == "authorization_code":
        code = st.tokens.codes.get(form.get("code", ""))
        if code is None:
            return _oauth_error(400, "invalid_grant", "Malformed auth code.")
        if code.used or code.expires_at < time.time() or code.client_id != client_id:
            return _oauth_error(400, "invalid_grant", "Bad Request")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge and not form.get("code_verifier"):
            return _oauth_error(400, "invalid_grant", "Missing code verifier.")
        if not pkce_ok(form.get("code_verifier", ""), code.challenge, code.method):
            return _oauth_error(400, "invalid_grant", "Invalid code verifier.")
        code.used = True
        refresh = None
        if code.offline:
            refresh = st.tokens.new_grant(client_id, code.user, code.scopes).refresh_token
        body = _token_body(st, client_id, code.user, code.scopes, refresh, code.nonce)
        if refresh:
            body["refresh_token"] = refresh
        return web.json_response(body)
    if grant_type == "refresh_token":
        grant = st.tokens.grants.get(form.get("refresh_token", ""))
        if grant is None or grant.revoked:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        if grant.client_id != client_id:
            return _oauth_error(401, "unauthorized_client", "Unauthorized")
        scopes = grant.scopes
        if form.get("scope"):
            wanted = normalize_scopes(form["scope"])
            if any(s not in grant.scopes for s in wanted):
                return _oauth_error(400, "invalid_scope", "Bad Request")
            scopes = wanted
        return web.json_response(
            _token_body(st, client_id, grant.user, scopes, grant.refresh_token)
        )
    return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")


async def revoke(request: web.Request) -> web.Response:
    st = _st(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    value = form.get("token") or request.query.get("token", "")
    if not st.tokens.revoke(value):
        return _oauth_error(400, "invalid_token", "Token expired or revoked")
    st.dirty = True
    return web.json_response({})


def _bearer(st: GoogleState, request: web.Request) -> Any:
    header = request.headers.get("Authorization", "")
    value = header[7:] if header.lower().startswith("bearer ") else ""
    return st.tokens.valid_access(value or request.query.get("access_token", ""))


async def userinfo(request: web.Request) -> web.Response:
    st = _st(request)
    tok = _bearer(st, request)
    if tok is None:
        return _oauth_error(401, "invalid_request", "Invalid Credentials")
    body: dict[str, Any] = {"sub": user_sub(tok.user), "hd": tok.user.split("@", 1)[1]}
    if EMAIL in tok.scopes:
        body.update(email=tok.user, email_verified=True)
    if PROFILE in tok.scopes:
        body["name"] = st.names.get(tok.user, tok.user)
    return web.json_response(body)


async def tokeninfo(request: web.Request) -> web.Response:
    st = _st(request)
    tok = _bearer(st, request)
    if tok is None:
        return _oauth_error(400, "invalid_token", "Invalid Value")
    body: dict[str, Any] = {
        "azp": tok.client_id,
        "aud": tok.client_id,
        "sub": user_sub(tok.user),
        "scope": " ".join(tok.scopes),
        "exp": str(int(tok.expires_at)),
        "expires_in": str(max(0, int(tok.expires_at - time.time()))),
        "access_type": "offline" if tok.refresh_token else "online",
    }
    if EMAIL in tok.scopes:
        body.update(email=tok.user, email_verified="true")
    return web.json_response(body)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/o/oauth2/v2/auth", authorize_get)
    r.add_post("/o/oauth2/v2/auth", authorize_post)
    r.add_post("/token", token)
    r.add_post("/revoke", revoke)
    r.add_get("/oauth2/v3/userinfo", userinfo)
    r.add_get("/oauth2/v3/tokeninfo", tokeninfo)
