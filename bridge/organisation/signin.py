"""Signing in to the portal with a Microsoft or Google account (OpenID Connect).

What it does: the authorization code flow with PKCE, `state` and `nonce` against the configured
Microsoft identity platform (through msal) and Google (through google-auth-oauthlib), then checks
the ID token and answers who signed in as an `Identity`. Only the OpenID Connect scopes are asked
for (openid, profile, email): signing in grants the bridge no access to calendars.

The ID token comes straight from the token endpoint over TLS, so the TLS server check replaces
the signature check (OpenID Connect Core 1.0 §3.1.3.7 step 6); the claims are still validated:
`iss`, `aud`, `exp`, `nonce` (Microsoft "ID token claims reference"; Google "OpenID Connect",
"Validating an ID token" and "An ID token's payload": use `email` only when `email_verified`).

What it must not do: keep flows (the caller keeps them server-side, with the session), create
or look up bridge users, or log tokens, codes or secrets. May import bridge.settings, errors
and providers only (never bridge.portal or radicale).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msal
import requests
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from bridge.errors import AuthFailed, NotFound, ProviderBusy
from bridge.providers.graph.transport import make_session
from bridge.settings import Settings

MICROSOFT = "microsoft"
GOOGLE = "google"
LABELS = {MICROSOFT: "Microsoft", GOOGLE: "Google"}
# msal adds openid, profile and offline_access itself; `email` asks for the address claim
# ("ID token claims reference": the email OpenID Connect scope on the v2.0 endpoint).
MICROSOFT_SCOPES = ("email",)
# Google "OpenID Connect": scope openid email profile (profile for `name`).
GOOGLE_SCOPES = (
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
)
# Google "OpenID Connect", validating an ID token: either issuer form may appear.
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
CLOCK_SKEW_S = 120
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_RETRY_S = 30.0


@dataclass(frozen=True)
class Identity:
    """Who signed in: `provider` "microsoft"|"google"; `subject` the provider's stable id."""

    provider: str
    email: str
    name: str
    subject: str


def _jwt_claims(token: object) -> dict[str, Any]:
    if not isinstance(token, str) or token.count(".") != 2:
        raise AuthFailed("The sign-in service sent no usable identity; please try again.")
    part = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise AuthFailed("The sign-in service sent an unreadable identity.") from exc
    if not isinstance(claims, dict):
        raise AuthFailed("The sign-in service sent an unreadable identity.")
    return claims


def _check_common(claims: Mapping[str, Any], client_id: str, label: str) -> None:
    """aud and exp (OpenID Connect Core §3.1.3.7 steps 3 and 9)."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise AuthFailed(f"The {label} sign-in was meant for another application; not accepted.")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp + CLOCK_SKEW_S < time.time():
        raise AuthFailed(f"The {label} sign-in has expired; please sign in again.")


def _same(a: object, b: object) -> bool:
    return isinstance(a, str) and isinstance(b, str) and hmac.compare_digest(a, b)


class SignIn:
    """OpenID Connect sign-in with the identity providers configured in `settings`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def providers(self) -> tuple[str, ...]:
        """The providers users may sign in with: those with an OAuth client configured."""
        out = []
        if self.settings.graph.client_id:
            out.append(MICROSOFT)
        if self.settings.google.client_id:
            out.append(GOOGLE)
        return tuple(out)

    def _require(self, provider: str) -> None:
        if provider not in self.providers():
            raise NotFound(f"Signing in with {LABELS.get(provider, 'that service')} is not set up.")

    def begin(self, provider: str, redirect_uri: str) -> tuple[str, dict[str, object]]:
        """(URL to send the browser to, flow to keep server-side until the redirect returns)."""
        self._require(provider)
        if provider == MICROSOFT:
            return self._begin_microsoft(redirect_uri)
        return self._begin_google(redirect_uri)

    def complete(
        self, provider: str, flow: Mapping[str, object], response: Mapping[str, str]
    ) -> Identity:
        """Check the redirect's `state`, redeem the code (PKCE), validate the ID token."""
        self._require(provider)
        if response.get("error"):
            detail = response.get("error_description") or response["error"]
            raise AuthFailed(f"{LABELS[provider]} did not sign you in: {detail}")
        if provider == MICROSOFT:
            return self._complete_microsoft(flow, response)
        return self._complete_google(flow, response)

    # -- Microsoft identity platform (msal) -------------------------------------------------
    def _msal(self) -> msal.ConfidentialClientApplication:
        g = self.settings.graph
        host = urlsplit(g.authority).hostname or ""
        known = host in msal.authority.WELL_KNOWN_AUTHORITY_HOSTS
        try:
            # a new application (and token cache) per sign-in: no tokens are kept
            return msal.ConfidentialClientApplication(
                g.client_id,
                client_credential=g.client_secret,
                authority=g.authority,
                http_client=make_session(g.ca_bundle or None),
                instance_discovery=None if known else False,
            )
        except (requests.RequestException, ValueError) as exc:
            raise ProviderBusy(
                MICROSOFT, "The Microsoft sign-in service cannot be reached; try again.", _RETRY_S
            ) from exc

    def _begin_microsoft(self, redirect_uri: str) -> tuple[str, dict[str, object]]:
        with warnings.catch_warnings():
            # msal recommends form_post; the portal's callback reads the query (RFC 6749 §4.1.2)
            warnings.filterwarnings("ignore", message=".*form_post.*", category=UserWarning)
            flow = self._msal().initiate_auth_code_flow(
                list(MICROSOFT_SCOPES), redirect_uri=redirect_uri, prompt="select_account"
            )
        if "error" in flow:
            raise AuthFailed("Signing in with Microsoft could not start; try again later.")
        return str(flow["auth_uri"]), dict(flow)

    def _complete_microsoft(
        self, flow: Mapping[str, object], response: Mapping[str, str]
    ) -> Identity:
        try:
            result = self._msal().acquire_token_by_auth_code_flow(dict(flow), dict(response))
        except ValueError as exc:  # msal: state mismatch, or a response that is not ours
            raise AuthFailed(
                "The Microsoft sign-in answer did not belong to this sign-in; please try again."
            ) from exc
        except RuntimeError as exc:  # msal: the ID token's nonce is not ours (replay)
            raise AuthFailed(
                "The Microsoft sign-in answer was replayed; please try again."
            ) from exc
        except requests.RequestException as exc:
            raise ProviderBusy(
                MICROSOFT, "The Microsoft sign-in service cannot be reached; try again.", _RETRY_S
            ) from exc
        if "error" in result:
            raise AuthFailed("Microsoft did not sign you in; please try again.")
        claims = _jwt_claims(result.get("id_token"))
        g = self.settings.graph
        _check_common(claims, g.client_id, LABELS[MICROSOFT])
        # msal sends sha256(nonce) and checks it; checked here too, as msal no longer
        # validates ID tokens itself (msal 1.38 release notes, issue #911)
        expected = hashlib.sha256(str(flow.get("nonce", "")).encode()).hexdigest()
        if not flow.get("nonce") or not _same(claims.get("nonce"), expected):
            raise AuthFailed("The Microsoft sign-in answer was replayed; please try again.")
        tid = str(claims.get("tid") or "")
        # "ID token claims reference": iss is <authority host>/<tenant id>/v2.0
        if claims.get("iss") != f"{g.authority_host.rstrip('/')}/{tid}/v2.0":
            raise AuthFailed("The Microsoft sign-in came from an unexpected issuer.")
        if _GUID.match(g.tenant) and tid.lower() != g.tenant.lower():
            raise AuthFailed("That Microsoft account belongs to another organisation.")
        # `email` when the directory has one, else the sign-in name when it is an address
        email = str(claims.get("email") or "")
        if "@" not in email:
            email = str(claims.get("preferred_username") or "")
        if "@" not in email:
            raise AuthFailed("Your Microsoft account has no email address the bridge can use.")
        subject = str(claims.get("oid") or claims.get("sub") or "")
        name = str(claims.get("name") or email)
        return Identity(MICROSOFT, email.lower(), name, f"{tid}:{subject}")

    # -- Google (google-auth-oauthlib) ------------------------------------------------------
    def _google_flow(self, redirect_uri: str, verifier: str | None) -> Flow:
        o = self.settings.google
        config = {
            "web": {
                "client_id": o.client_id,
                "client_secret": o.client_secret,
                "auth_uri": o.auth_uri,
                "token_uri": o.token_uri,
            }
        }
        return Flow.from_client_config(
            config,
            scopes=list(GOOGLE_SCOPES),
            redirect_uri=redirect_uri,
            code_verifier=verifier,
            autogenerate_code_verifier=verifier is None,
        )

    def _begin_google(self, redirect_uri: str) -> tuple[str, dict[str, object]]:
        flow = self._google_flow(redirect_uri, None)
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        # Flow adds code_challenge + code_challenge_method=S256 for the generated verifier
        url, _ = flow.authorization_url(state=state, nonce=nonce, prompt="select_account")
        kept: dict[str, object] = {
            "state": state,
            "nonce": nonce,
            "code_verifier": flow.code_verifier,
            "redirect_uri": redirect_uri,
        }
        return str(url), kept

    def _complete_google(self, flow: Mapping[str, object], response: Mapping[str, str]) -> Identity:
        if not _same(response.get("state"), flow.get("state")):
            raise AuthFailed(
                "The Google sign-in answer did not belong to this sign-in; please try again."
            )
        code = response.get("code")
        if not code:
            raise AuthFailed("Google did not sign you in; please try again.")
        oauth = self._google_flow(str(flow["redirect_uri"]), str(flow["code_verifier"]))
        token = self._redeem(oauth, code)
        claims = _jwt_claims(token.get("id_token"))
        o = self.settings.google
        _check_common(claims, o.client_id, LABELS[GOOGLE])
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise AuthFailed("The Google sign-in came from an unexpected issuer.")
        if not _same(claims.get("nonce"), flow.get("nonce")):
            raise AuthFailed("The Google sign-in answer was replayed; please try again.")
        email = str(claims.get("email") or "")
        if "@" not in email or claims.get("email_verified") not in (True, "true"):
            raise AuthFailed("Google has not verified the email address of that account.")
        name = str(claims.get("name") or email)
        return Identity(GOOGLE, email.lower(), name, str(claims.get("sub") or ""))

    def _redeem(self, oauth: Flow, code: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"code": code, "include_client_id": True}
        if self.settings.google.ca_bundle:
            kwargs["verify"] = self.settings.google.ca_bundle  # wins over REQUESTS_CA_BUNDLE
        try:
            return dict(oauth.fetch_token(**kwargs))
        except Warning as warning:
            # oauthlib warns when Google answers scopes in another form; the token is attached
            token = getattr(warning, "token", None)
            if isinstance(token, Mapping) and token.get("id_token"):
                return dict(token)
            raise AuthFailed("Google did not sign you in; please try again.") from warning
        except OAuth2Error as exc:
            raise AuthFailed("Google did not accept the sign-in; please try again.") from exc
        except requests.RequestException as exc:
            raise ProviderBusy(
                GOOGLE, "The Google sign-in service cannot be reached; try again.", _RETRY_S
            ) from exc
