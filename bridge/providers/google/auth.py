"""Google OAuth 2.0 for one connection: consent (authorization code + PKCE), refresh, revoke.

What it does: runs the consent with google-auth-oauthlib's `Flow` (Google "Using OAuth 2.0 for
Web Server Applications": `access_type=offline` for a refresh token, `prompt=consent`, PKCE S256),
keeps the tokens in a JSON blob handed to `on_change` whenever it changes (the caller encrypts
and stores it), and gives google-auth `Credentials` that refresh themselves and report the new
tokens. Refresh errors become bridge errors: `invalid_grant` (revoked or expired grant) ->
AuthExpired, anything transient -> ProviderBusy.
What it must not do: call the Calendar API beyond finding the account's address when the
id_token has none, persist anything itself, or log tokens, codes or secrets.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import google_auth_httplib2
import httplib2
from google.auth import exceptions as gexc
from google.auth import jwt
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from bridge.errors import AuthExpired, AuthFailed, ProviderBusy
from bridge.plainwords import reason, unreachable

PROVIDER = "google"
SCOPES_READ: tuple[str, ...] = (
    "openid",
    "email",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/contacts.readonly",
    "https://www.googleapis.com/auth/tasks.readonly",  # task lists (issue 11)
)
SCOPES_WRITE: tuple[str, ...] = (
    "openid",
    "email",
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/contacts",
    "https://www.googleapis.com/auth/tasks",
)
HTTP_TIMEOUT_S = 30
_TRANSIENT_RETRY_AFTER_S = 30.0
# Token endpoint errors that need the user to authorize again (RFC 6749 §5.2; Google "Using
# OAuth 2.0 ...": "invalid_grant" when a refresh token was revoked or expired).
_REAUTH_ERRORS = ("invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope")


@dataclass(frozen=True)
class GoogleAppConfig:
    """The registered OAuth client and where Google lives (real endpoints or the sandbox)."""

    client_id: str
    client_secret: str
    auth_uri: str = "https://accounts.google.com/o/oauth2/v2/auth"
    token_uri: str = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
    revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    calendar_api_base: str = "https://www.googleapis.com/calendar/v3/"
    ca_bundle: str | None = None
    people_api_base: str = "https://people.googleapis.com/"  # People API root (paths "v1/…")
    tasks_api_base: str = "https://tasks.googleapis.com/"  # Tasks API root (paths "tasks/v1/…")


def make_http(config: GoogleAppConfig) -> httplib2.Http:
    """An httplib2 connection pool that trusts `config.ca_bundle` (httplib2's default store
    otherwise); REQUESTS_CA_BUNDLE does not apply to httplib2."""
    return httplib2.Http(ca_certs=config.ca_bundle or None, timeout=HTTP_TIMEOUT_S)


def _client_config(config: GoogleAppConfig) -> dict[str, Any]:
    return {
        "web": {
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "auth_uri": config.auth_uri,
            "token_uri": config.token_uri,
        }
    }


def refresh_error(exc: Exception) -> Exception:
    """The bridge error for a failed refresh (RefreshError or a transport error)."""
    text = str(exc.args[0]) if exc.args else str(exc)
    if isinstance(exc, gexc.RefreshError):
        code = next((c for c in _REAUTH_ERRORS if text.startswith(c)), None)
        if code or "necessary fields" in text:  # no refresh token at all
            return AuthExpired(PROVIDER, f"authorize the connection again: {text}", code)
        return ProviderBusy(PROVIDER, f"token refresh failed: {text}", _TRANSIENT_RETRY_AFTER_S)
    return ProviderBusy(
        PROVIDER,
        f"could not reach Google's token endpoint: {reason(exc)} — check the URL and the firewall",
        _TRANSIENT_RETRY_AFTER_S,
    )


class _Credentials(Credentials):
    """google-auth user credentials that report every refresh (AuthorizedHttp refreshes them on
    expiry and after a 401) and raise bridge errors when the refresh fails."""

    _davbridge_hook: Callable[[Credentials], None] | None = None

    def refresh(self, request: Any) -> None:
        try:
            super().refresh(request)  # type: ignore[no-untyped-call]  # google-auth's Credentials is unannotated
        except (gexc.RefreshError, gexc.TransportError) as exc:
            raise refresh_error(exc) from exc
        if self._davbridge_hook is not None:
            self._davbridge_hook(self)


class GoogleAuth:
    """Tokens of one Google connection (see the module docstring)."""

    def __init__(
        self,
        config: GoogleAppConfig,
        token_blob: str | None,
        on_change: Callable[[str], None],
        *,
        scopes: Sequence[str] | None = None,
    ) -> None:
        self._config = config
        self._on_change = on_change
        self._lock = threading.RLock()
        self._state: dict[str, Any] = {}
        if token_blob:
            try:
                loaded = json.loads(token_blob)
            except ValueError:
                loaded = {}
            self._state = loaded if isinstance(loaded, dict) else {}
        if scopes:
            self._state.setdefault("scopes", list(scopes))
        self._creds: _Credentials | None = None

    # --- stored state --------------------------------------------------------------------------
    @property
    def account(self) -> str | None:
        """The consented account's address, when known."""
        value = self._state.get("account")
        return str(value) if value else None

    def _emit(self) -> None:
        self._on_change(json.dumps(self._state, sort_keys=True, separators=(",", ":")))

    def _remember(self, creds: Credentials) -> None:
        with self._lock:
            changed = False
            for key, value in (
                ("token", creds.token),
                ("refresh_token", creds.refresh_token),
                ("expiry", creds.expiry.isoformat() + "Z" if creds.expiry else None),
            ):
                if value and self._state.get(key) != value:
                    self._state[key] = value
                    changed = True
            if changed:
                self._emit()

    # --- consent ---------------------------------------------------------------------------------
    def _flow(self, scopes: Sequence[str], redirect_uri: str, verifier: str | None) -> Flow:
        return Flow.from_client_config(
            _client_config(self._config),
            scopes=list(scopes),
            redirect_uri=redirect_uri,
            code_verifier=verifier,
            autogenerate_code_verifier=verifier is None,
        )

    def begin_consent(
        self, redirect_uri: str, scopes: Sequence[str], login_hint: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """(authorization URL, flow state to keep until the redirect comes back)."""
        flow = self._flow(scopes, redirect_uri, None)
        state = secrets.token_urlsafe(24)
        extra: dict[str, str] = {"access_type": "offline", "prompt": "consent"}
        if login_hint:
            extra["login_hint"] = login_hint
        # Flow adds code_challenge + code_challenge_method=S256 for the generated verifier.
        url, _ = flow.authorization_url(state=state, **extra)
        kept = {
            "state": state,
            "code_verifier": flow.code_verifier,
            "redirect_uri": redirect_uri,
            "scopes": list(scopes),
        }
        return str(url), kept

    def complete_consent(self, flow: dict[str, Any], auth_response: Mapping[str, str]) -> str:
        """Redeem the code of the redirect; returns the account's address."""
        if auth_response.get("state") != flow.get("state"):
            raise AuthFailed("authorization response rejected: state does not match")
        if auth_response.get("error"):
            detail = auth_response.get("error_description") or auth_response["error"]
            raise AuthFailed(f"Google refused the authorization: {detail}")
        code = auth_response.get("code")
        if not code:
            raise AuthFailed("authorization response carries no code")
        scopes = [str(s) for s in flow.get("scopes") or SCOPES_READ]
        oauth = self._flow(scopes, str(flow["redirect_uri"]), str(flow["code_verifier"]))
        token = self._redeem(oauth, str(code))
        granted = token.get("scope")
        if isinstance(granted, str):
            granted = granted.split()
        email = self._email_from_id_token(token.get("id_token"))
        expires_in = token.get("expires_in")
        expiry = None
        if isinstance(expires_in, int | float):
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
            expiry = (now + dt.timedelta(seconds=float(expires_in))).isoformat() + "Z"
        with self._lock:
            self._state = {
                "token": token.get("access_token"),
                "refresh_token": token.get("refresh_token"),
                "expiry": expiry,
                "scopes": list(granted or scopes),
                "account": email,
            }
            self._creds = None
            if not self._state["refresh_token"]:
                raise AuthFailed("Google returned no refresh token (access_type=offline missing?)")
            if not email:
                email = self._primary_calendar_id()
                self._state["account"] = email
            self._emit()
        return email

    def _redeem(self, oauth: Flow, code: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"code": code, "include_client_id": True}
        if self._config.ca_bundle:
            # Per-request verify= wins over REQUESTS_CA_BUNDLE (requests precedence).
            kwargs["verify"] = self._config.ca_bundle
        try:
            return dict(oauth.fetch_token(**kwargs))
        except Warning as warning:
            # oauthlib raises when the granted scopes differ from the requested ones (Google
            # expands "email" to .../auth/userinfo.email); the token is attached.
            token = getattr(warning, "token", None)
            if isinstance(token, Mapping) and token.get("access_token"):
                return dict(token)
            raise AuthFailed(f"token response rejected: {warning}") from warning
        except OAuth2Error as exc:
            raise AuthFailed(f"Google refused the code: {exc.error}: {exc.description}") from exc
        except Exception as exc:  # requests errors, malformed JSON
            raise AuthFailed(unreachable(self._config.token_uri, exc)) from exc

    def _email_from_id_token(self, id_token: Any) -> str | None:
        """The `email` claim. The id_token came straight from the token endpoint over TLS, which
        OpenID Connect Core §3.1.3.7 accepts in place of checking the signature; the audience
        is still checked."""
        if not isinstance(id_token, str) or not id_token:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # google.auth.jwt.decode is unannotated
                claims = jwt.decode(id_token, verify=False)  # type: ignore[no-untyped-call]
        except (ValueError, gexc.GoogleAuthError):
            return None
        audience = claims.get("aud")
        allowed = audience if isinstance(audience, list) else [audience]
        if self._config.client_id not in allowed:
            raise AuthFailed("the id_token was issued to another client")
        email = claims.get("email")
        return str(email) if email else None

    def _primary_calendar_id(self) -> str:
        """The address of the primary calendar (calendarList/primary: its id is the email)."""
        http = google_auth_httplib2.AuthorizedHttp(self.credentials(), http=make_http(self._config))
        url = self._config.calendar_api_base.rstrip("/") + "/users/me/calendarList/primary"
        resp, content = http.request(url, "GET")
        if resp.status != 200:
            raise AuthFailed(f"could not read the account's address (HTTP {resp.status})")
        return str(json.loads(content)["id"])

    # --- tokens ----------------------------------------------------------------------------------
    def credentials(self) -> Credentials:
        """Credentials for the API: refreshed now when expired; AuthExpired when the user must
        authorize again. They refresh themselves later (AuthorizedHttp) and report it here."""
        with self._lock:
            if not self._state.get("refresh_token"):
                raise AuthExpired(PROVIDER, "no refresh token: authorize the connection")
            if self._creds is None:
                expiry = None
                if self._state.get("expiry"):
                    text = str(self._state["expiry"]).rstrip("Z")
                    expiry = dt.datetime.fromisoformat(text).replace(tzinfo=None)
                creds = _Credentials(  # type: ignore[no-untyped-call]  # google-auth's Credentials is unannotated
                    token=self._state.get("token"),
                    refresh_token=self._state["refresh_token"],
                    token_uri=self._config.token_uri,
                    client_id=self._config.client_id,
                    client_secret=self._config.client_secret,
                    scopes=self._state.get("scopes") or None,
                    expiry=expiry,
                )
                creds._davbridge_hook = self._remember
                self._creds = creds
            if not self._creds.valid:
                self._creds.refresh(google_auth_httplib2.Request(make_http(self._config)))
            return self._creds

    def revoke(self) -> None:
        """Revoke the grant at Google (POST token=…, Google "Revoking a token") and forget it."""
        with self._lock:
            token = self._state.get("refresh_token") or self._state.get("token")
            if token:
                body = urlencode({"token": token})
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                try:
                    resp, _ = make_http(self._config).request(
                        self._config.revoke_uri, "POST", body=body, headers=headers
                    )
                except (OSError, httplib2.HttpLib2Error) as exc:
                    raise ProviderBusy(
                        PROVIDER,
                        unreachable(self._config.revoke_uri, exc),
                        _TRANSIENT_RETRY_AFTER_S,
                    ) from exc
                # 400 invalid_token: already revoked or expired, which is what we want.
                if resp.status >= 500:
                    raise ProviderBusy(
                        PROVIDER, f"revoke failed (HTTP {resp.status})", _TRANSIENT_RETRY_AFTER_S
                    )
            for key in ("token", "refresh_token", "expiry"):
                self._state.pop(key, None)
            self._creds = None
            self._emit()
