"""Portal sign-in with OpenID Connect against the real sandboxes (Microsoft identity, Google).

The user at the sign-in page is played by bridge.demo_signin.sign_in_at (it fills the HTML form
and follows the redirect back); everything else is the real flow: msal / google-auth-oauthlib,
PKCE, state, nonce, the token endpoint and the ID token.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from bridge.demo_signin import sign_in_at
from bridge.errors import AuthFailed, NotFound
from bridge.settings import Settings
from bridge.signin import Identity, SignIn
from sandbox.google.server import GoogleSandbox
from sandbox.server import Sandbox

REDIRECT = "http://127.0.0.1:5233/signin/callback"


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[tuple[Sandbox, GoogleSandbox]]:
    with pytest.MonkeyPatch.context() as mp:
        # requests gives REQUESTS_CA_BUNDLE precedence over verify= (requests docs, Advanced Usage: SSL Cert Verification)
        mp.delenv("REQUESTS_CA_BUNDLE", raising=False)
        mp.delenv("CURL_CA_BUNDLE", raising=False)
        graph, google = Sandbox(None, seed=False), GoogleSandbox(None, seed=False)
        graph.start()
        google.start()
        yield graph, google
        graph.stop()
        google.stop()


@pytest.fixture
def signin(sandboxes: tuple[Sandbox, GoogleSandbox]) -> SignIn:
    g, o = sandboxes[0].info, sandboxes[1].info
    settings = (
        Settings()
        .replace(
            "graph",
            authority_host=g.base_url,
            tenant=g.tenant,
            client_id=g.client_id,
            client_secret=g.client_secret,
            ca_bundle=g.ca_file,
        )
        .replace(
            "google",
            client_id=o.client_id,
            client_secret=o.client_secret,
            auth_uri=o.auth_uri,
            token_uri=o.token_uri,
            ca_bundle=o.ca_file,
        )
    )
    return SignIn(settings)


def _ca(signin: SignIn, provider: str) -> str:
    s = signin.settings
    return s.graph.ca_bundle if provider == "microsoft" else s.google.ca_bundle


def _user_answers(
    signin: SignIn, provider: str, user: str, password: str
) -> tuple[dict[str, object], dict[str, str]]:
    url, flow = signin.begin(provider, REDIRECT)
    return flow, sign_in_at(url, user, password, REDIRECT, _ca(signin, provider))


def _demo(sandboxes: tuple[Sandbox, GoogleSandbox], provider: str) -> tuple[str, str]:
    info = sandboxes[0].info if provider == "microsoft" else sandboxes[1].info
    return info.user, info.user_password


def test_configured_providers_are_offered(signin: SignIn) -> None:
    assert signin.providers() == ("microsoft", "google")
    assert SignIn(Settings()).providers() == ()
    with pytest.raises(NotFound, match="not set up"):
        SignIn(Settings()).begin("google", REDIRECT)


@pytest.mark.parametrize("provider", ["microsoft", "google"])
def test_demo_user_signs_in(
    signin: SignIn, sandboxes: tuple[Sandbox, GoogleSandbox], provider: str
) -> None:
    user, password = _demo(sandboxes, provider)
    flow, answer = _user_answers(signin, provider, user, password)
    identity = signin.complete(provider, flow, answer)
    assert identity.provider == provider
    assert identity.email == "alex@contoso.example" and identity.name == "Alex Wilber"
    assert identity.subject


def test_sign_in_asks_only_for_identity_with_pkce_state_and_nonce(signin: SignIn) -> None:
    for provider in ("microsoft", "google"):
        url, flow = signin.begin(provider, REDIRECT)
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        scopes = set(query["scope"].split())
        assert "openid" in scopes and not any("calendar" in s.lower() for s in scopes)
        assert query["code_challenge_method"] == "S256" and query["code_challenge"]
        assert query["state"] and query["nonce"] and query["redirect_uri"] == REDIRECT
        assert flow["state"] == query["state"]


def test_added_accounts_sign_in(signin: SignIn, sandboxes: tuple[Sandbox, GoogleSandbox]) -> None:
    graph, google = sandboxes[0].info, sandboxes[1].info
    password = "another long password"  # noqa: S105 - test credential
    requests.post(
        graph.control_url + "/users",
        json={"upn": "diego@fabrikam.example", "display_name": "Diego", "password": password},
        verify=graph.ca_file,
        timeout=10,
    ).raise_for_status()
    requests.post(
        google.control_url + "/users",
        json={"email": "lidia@fabrikam.example", "name": "Lidia", "password": password},
        verify=google.ca_file,
        timeout=10,
    ).raise_for_status()
    flow, answer = _user_answers(signin, "microsoft", "diego@fabrikam.example", password)
    ms = signin.complete("microsoft", flow, answer)
    flow, answer = _user_answers(signin, "google", "lidia@fabrikam.example", password)
    go = signin.complete("google", flow, answer)
    assert (ms.email, ms.name, go.email, go.name) == (
        "diego@fabrikam.example",
        "Diego",
        "lidia@fabrikam.example",
        "Lidia",
    )
    assert isinstance(ms, Identity) and ms.subject != go.subject


@pytest.mark.parametrize("provider", ["microsoft", "google"])
def test_a_wrong_state_is_refused(
    signin: SignIn, sandboxes: tuple[Sandbox, GoogleSandbox], provider: str
) -> None:
    flow, answer = _user_answers(signin, provider, *_demo(sandboxes, provider))
    with pytest.raises(AuthFailed, match="did not belong to this sign-in"):
        signin.complete(provider, flow, {**answer, "state": "forged"})


@pytest.mark.parametrize("provider", ["microsoft", "google"])
def test_a_nonce_mismatch_is_refused(
    signin: SignIn, sandboxes: tuple[Sandbox, GoogleSandbox], provider: str
) -> None:
    flow, answer = _user_answers(signin, provider, *_demo(sandboxes, provider))
    # the ID token carries the nonce of another sign-in (a replayed answer)
    with pytest.raises(AuthFailed, match="replayed"):
        signin.complete(provider, {**flow, "nonce": "another-sign-in"}, answer)


@pytest.mark.parametrize("provider", ["microsoft", "google"])
def test_a_code_is_good_for_one_sign_in_only(
    signin: SignIn, sandboxes: tuple[Sandbox, GoogleSandbox], provider: str
) -> None:
    flow, answer = _user_answers(signin, provider, *_demo(sandboxes, provider))
    signin.complete(provider, flow, answer)
    with pytest.raises(AuthFailed, match="try again"):
        signin.complete(provider, flow, answer)


def test_a_refusal_at_the_provider_is_said_in_plain_words(signin: SignIn) -> None:
    _, flow = signin.begin("google", REDIRECT)
    answer = {"state": str(flow["state"]), "error": "access_denied"}
    with pytest.raises(AuthFailed, match="Google did not sign you in: access_denied"):
        signin.complete("google", flow, answer)


def _token(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email_verified": False}, "not verified"),
        ({"aud": "someone-else"}, "another application"),
        ({"iss": "https://evil.example"}, "unexpected issuer"),
        ({"exp": 1000}, "expired"),
    ],
)
def test_google_id_token_claims_are_checked(
    signin: SignIn, monkeypatch: pytest.MonkeyPatch, change: dict[str, Any], message: str
) -> None:
    _, flow = signin.begin("google", REDIRECT)
    claims = {
        "iss": "https://accounts.google.com",
        "aud": signin.settings.google.client_id,
        "exp": 4_000_000_000,
        "sub": "1",
        "email": "alex@contoso.example",
        "email_verified": True,
        "nonce": flow["nonce"],
        **change,
    }
    monkeypatch.setattr(SignIn, "_redeem", lambda self, oauth, code: {"id_token": _token(claims)})
    with pytest.raises(AuthFailed, match=message):
        signin.complete("google", flow, {"state": str(flow["state"]), "code": "c"})
