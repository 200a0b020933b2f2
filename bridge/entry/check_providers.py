"""The network half of `davbridge check`: the public URLs through the proxy, and each configured
provider's endpoints and app registration — Microsoft's OpenID discovery document and token
endpoint (a client-credentials request proves tenant, client id and secret; the AADSTS codes
700016, 7000215, 7000222, 90002, 900023 name what is wrong:
learn.microsoft.com/entra/identity-platform/reference-error-codes), Google's token endpoint (an
authorization-code request with a made-up code answers `invalid_grant` for a known client and
`invalid_client` otherwise: RFC 6749 §5.2), the EWS URL (401 means it answers), TLS verification,
and the clock against the providers' `Date` headers.

Sends only requests that change nothing at the provider; must not write anything.
"""

from __future__ import annotations

import email.utils
import time
from urllib.parse import urlsplit

import requests

from bridge.entry.check import ERROR, OK, WARNING, Finding
from bridge.plainwords import unreachable
from bridge.settings import Settings

MAX_SKEW_S = 120.0
_TIMEOUT_S = 10.0


def reachability(settings: Settings) -> list[Finding]:
    """Whether the public URLs answer from here (through the proxy, with its certificate)."""
    found: list[Finding] = []
    for what, url in (
        ("DAV", settings.server.public_url),
        ("portal", settings.portal.public_url),
    ):
        if not url:
            continue
        probe = url.rstrip("/") + ("/health" if what == "DAV" else "/signin")
        try:
            resp = _get(probe, "")
        except requests.exceptions.SSLError as exc:
            found.append(Finding(ERROR, "public URL", unreachable(probe, exc)))
            continue
        except requests.RequestException as exc:
            found.append(
                Finding(
                    WARNING,
                    "public URL",
                    f"{unreachable(probe, exc)}; is davbridge serve running and the proxy "
                    "forwarding to it?",
                )
            )
            continue
        level = OK if resp.status_code < 500 else WARNING
        found.append(Finding(level, "public URL", f"{probe} answers {resp.status_code}"))
    return found


def providers(settings: Settings) -> list[Finding]:
    found: list[Finding] = reachability(settings)
    if settings.graph.client_id:
        found += _graph(settings)
    if settings.google.client_id:
        found += _google(settings)
    found += _ews(settings)
    return found


def _get(
    url: str, ca_bundle: str, method: str = "GET", data: dict[str, str] | None = None
) -> requests.Response:
    verify: bool | str = ca_bundle or True
    return requests.request(method, url, data=data, verify=verify, timeout=_TIMEOUT_S)


def _now() -> float:
    """This machine's clock (a seam for tests: the sandboxes share the process's clock)."""
    return time.time()


def _skew(topic: str, response: requests.Response) -> list[Finding]:
    date = response.headers.get("Date")
    if not date:
        return []
    try:
        theirs = email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return []
    skew = _now() - theirs
    if abs(skew) > MAX_SKEW_S:
        return [
            Finding(
                ERROR,
                topic,
                f"this machine's clock is {abs(skew):.0f} s "
                f"{'ahead of' if skew > 0 else 'behind'} the provider's: sign-ins fail with "
                "tokens out of their validity window; enable time synchronisation (NTP)",
            )
        ]
    return [Finding(OK, topic, f"clock within {abs(skew):.0f} s of the provider's")]


_AADSTS = {
    "700016": "the client id is not registered in this tenant: check [graph] client_id "
    "and tenant (Entra admin center → App registrations)",
    "7000215": "the client secret is wrong: use the secret's Value, not its ID, or make a new "
    "one (Certificates & secrets)",
    "7000222": "the client secret has expired: make a new one (Certificates & secrets)",
    "90002": "the tenant does not exist: check [graph] tenant (the Directory (tenant) ID)",
    "900023": "the tenant is not a valid directory id or domain: check [graph] tenant",
}


def _graph(settings: Settings) -> list[Finding]:
    topic = "Microsoft 365"
    g = settings.graph
    discovery = f"{g.authority}/v2.0/.well-known/openid-configuration"
    try:
        resp = _get(discovery, g.ca_bundle)
    except requests.RequestException as exc:
        return [Finding(ERROR, topic, unreachable(discovery, exc))]
    if resp.status_code != 200:
        return [
            Finding(
                ERROR,
                topic,
                f"{discovery} answered {resp.status_code}: check [graph] authority_host and tenant",
            )
        ]
    found = [Finding(OK, topic, f"identity platform answers at {g.authority}")]
    found += _skew(topic, resp)
    token_endpoint = str(resp.json().get("token_endpoint", ""))
    if g.tenant in ("common", "organizations", "consumers"):
        found.append(
            Finding(
                WARNING,
                topic,
                f"[graph] tenant is {g.tenant!r}: the client secret can only be checked "
                "against a specific tenant; set tenant to your Directory (tenant) ID",
            )
        )
        return found
    try:
        answer = _get(
            token_endpoint,
            g.ca_bundle,
            method="POST",
            data={
                "grant_type": "client_credentials",
                "client_id": g.client_id,
                "client_secret": g.client_secret,
                "scope": "https://graph.microsoft.com/.default",  # what the bridge asks for
            },
        )
    except requests.RequestException as exc:
        return [*found, Finding(ERROR, topic, unreachable(token_endpoint, exc))]
    if answer.status_code == 200:
        found.append(Finding(OK, topic, "the app registration accepts its client id and secret"))
        return found
    body = _json(answer)
    raw_codes = body.get("error_codes", [])
    codes = [str(c) for c in raw_codes] if isinstance(raw_codes, list) else []
    for code in codes:
        if code in _AADSTS:
            return [*found, Finding(ERROR, topic, _AADSTS[code])]
    found.append(
        Finding(
            WARNING,
            topic,
            f"the token endpoint answered {answer.status_code} "
            f"{body.get('error', '')}: {str(body.get('error_description', ''))[:200]}",
        )
    )
    return found


def _json(resp: requests.Response) -> dict[str, object]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _google(settings: Settings) -> list[Finding]:
    topic = "Google"
    g = settings.google
    try:
        answer = _get(
            g.token_uri,
            g.ca_bundle,
            method="POST",
            data={
                "grant_type": "authorization_code",
                "code": "davbridge-check-not-a-code",
                "client_id": g.client_id,
                "client_secret": g.client_secret,
                "redirect_uri": settings.portal.url + "connect/callback",
            },
        )
    except requests.RequestException as exc:
        return [Finding(ERROR, topic, unreachable(g.token_uri, exc))]
    found = [Finding(OK, topic, f"token endpoint answers at {g.token_uri}")]
    found += _skew(topic, answer)
    error = str(_json(answer).get("error", ""))
    if error == "invalid_grant":
        found.append(Finding(OK, topic, "the OAuth client accepts its client id and secret"))
    elif error in ("invalid_client", "unauthorized_client"):
        found.append(
            Finding(
                ERROR,
                topic,
                "Google does not know this client id and secret: check [google] client_id and "
                "client_secret (Google Cloud console → APIs & Services → Credentials)",
            )
        )
    else:
        found.append(
            Finding(WARNING, topic, f"the token endpoint answered {answer.status_code} {error}")
        )
    return found


def _ews(settings: Settings) -> list[Finding]:
    topic = "Exchange"
    url = settings.ews.default_url
    host = (urlsplit(url).hostname or "").lower()
    if host == "outlook.office365.com":
        return [
            Finding(
                WARNING,
                topic,
                "[ews] default_url is Exchange Online, which no longer serves EWS to "
                "davbridge (Microsoft blocks EWS in Exchange Online from 1 October 2026 and "
                "ends it on 1 April 2027; password sign-in was already refused): set it to "
                "your Exchange Server's EWS URL, or leave it and connect Microsoft 365 "
                "through Graph",
            )
        ]
    try:
        resp = _get(url, settings.ews.ca_bundle)
    except requests.RequestException as exc:
        return [Finding(ERROR, topic, unreachable(url, exc))]
    if resp.status_code in (401, 200, 405):
        return [Finding(OK, topic, f"{url} answers (asks for a sign-in)"), *_skew(topic, resp)]
    return [
        Finding(
            WARNING,
            topic,
            f"{url} answered {resp.status_code}: is this the EWS URL "
            "(https://mail.example.com/EWS/Exchange.asmx)?",
        )
    ]
