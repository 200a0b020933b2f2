"""`davbridge check`: is this installation ready? Each finding names what was checked, what is
wrong and what to do, in plain words.

Cheap checks (no network; `serve` runs them at start and logs warnings): the configuration,
owner-only modes of the data directory, database and key file (and that the key is not kept in
the data directory it protects), the database's integrity, the public URLs, free ports.
Network checks: each configured provider's endpoints and app registration — Microsoft's OpenID
discovery document and token endpoint (a client-credentials request proves the client id and
secret; login.microsoftonline.com error codes AADSTS700016 / 7000215 / 90002 name what is wrong:
learn.microsoft.com/entra/identity-platform/reference-error-codes), Google's token endpoint (an
authorization-code request with a made-up code answers `invalid_grant` for a known client and
`invalid_client` otherwise: RFC 6749 §5.2), the EWS URL (401 means it answers), TLS
verification, the public URLs (through the proxy, when set), and the clock against the
providers' `Date` headers (tokens carry times; more
than a few minutes of skew breaks sign-ins).

A composition root's helper: reads settings and files, opens sockets; changes nothing.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from bridge.files import loose
from bridge.plainwords import unreachable
from bridge.settings import Settings

OK, WARNING, ERROR = "ok", "warning", "error"
MAX_SKEW_S = 120.0
_TIMEOUT_S = 10.0
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warning | error
    topic: str  # what was checked: "files", "database", "Microsoft 365", …
    message: str  # what was found, and for warnings and errors what to do


def render(findings: list[Finding]) -> str:
    marks = {OK: "ok  ", WARNING: "WARN", ERROR: "FAIL"}
    lines = [f"{marks[f.level]}  {f.topic}: {f.message}" for f in findings]
    errors = sum(1 for f in findings if f.level == ERROR)
    warnings = sum(1 for f in findings if f.level == WARNING)
    lines.append(
        "all good" if not errors and not warnings else f"{errors} to fix, {warnings} to look at"
    )
    return "\n".join(lines)


def run_all(settings: Settings, config_path: Path | None, network: bool = True) -> list[Finding]:
    found = cheap(settings, config_path, ports=True)
    if network:
        found += providers(settings)
    return found


# -- cheap checks -------------------------------------------------------------------------
def cheap(settings: Settings, config_path: Path | None, ports: bool = False) -> list[Finding]:
    found: list[Finding] = []
    if config_path is not None:
        found.append(Finding(OK, "configuration", f"{config_path} is valid"))
    found += _configured_providers(settings)
    found += _files(settings)
    found += _database(settings)
    found += _public_urls(settings)
    if ports:
        found += _ports(settings)
    return found


def _configured_providers(settings: Settings) -> list[Finding]:
    names = [
        label
        for label, on in (
            ("Microsoft 365", bool(settings.graph.client_id)),
            ("Google", bool(settings.google.client_id)),
        )
        if on
    ]
    if names:
        return [Finding(OK, "providers", f"configured: {', '.join(names)}, Exchange Server")]
    return [
        Finding(
            WARNING,
            "providers",
            "neither Microsoft 365 nor Google is configured, so users can connect only "
            "Exchange Server: set [graph] client_id and client_secret, or [google] client_id "
            "and client_secret (README: Real providers)",
        )
    ]


def _files(settings: Settings) -> list[Finding]:
    found: list[Finding] = []
    data = settings.data_dir
    if not data.exists():
        found.append(Finding(OK, "files", f"{data} will be created (owner only) at first start"))
    elif loose(data):
        found.append(
            Finding(ERROR, "files", f"{data} can be read by other users: chmod 700 {data}")
        )
    else:
        found.append(Finding(OK, "files", f"{data} is readable by its owner only"))
    db = settings.database_path
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists() and loose(path):
            found.append(
                Finding(ERROR, "files", f"{path} can be read by other users: chmod 600 {path}")
            )
    if os.environ.get("DAVBRIDGE_SECRET_KEY"):
        found.append(Finding(OK, "encryption key", "taken from DAVBRIDGE_SECRET_KEY"))
        return found
    key = Path(settings.secrets.key_file or data / "secret.key")
    if key.exists() and loose(key):
        found.append(
            Finding(ERROR, "encryption key", f"{key} can be read by other users: chmod 600 {key}")
        )
    elif not key.exists():
        parent = next((p for p in (key.parent, *key.parents) if p.exists()), Path("/"))
        if os.access(parent, os.W_OK):
            found.append(Finding(OK, "encryption key", f"{key} will be created at first start"))
        else:
            found.append(
                Finding(
                    ERROR,
                    "encryption key",
                    f"{key} is missing and {parent} is not writable for this user: create it "
                    f"as its owner (`davbridge new-key > {key}; chmod 600 {key}`) or set "
                    "DAVBRIDGE_SECRET_KEY",
                )
            )
    else:
        found.append(Finding(OK, "encryption key", f"{key} is readable by its owner only"))
    if _inside(key, data):
        found.append(
            Finding(
                WARNING,
                "encryption key",
                f"{key} lies in the data directory it protects (a copy of the data is then "
                "enough to decrypt every token): move it out and set [secrets] key_file",
            )
        )
    return found


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _database(settings: Settings) -> list[Finding]:
    db = settings.database_path
    if not db.exists():
        return [Finding(OK, "database", f"{db} will be created at first start")]
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    except sqlite3.Error as exc:
        return [
            Finding(
                ERROR,
                "database",
                f"{db} cannot be read ({exc}): is it a davbridge database, and readable by "
                "this user?",
            )
        ]
    if verdict != "ok":
        return [
            Finding(
                ERROR,
                "database",
                f"{db} is damaged ({verdict}): stop davbridge and restore it from a backup",
            )
        ]
    return [Finding(OK, "database", f"{db} is intact ({users} users)")]


def _public_urls(settings: Settings) -> list[Finding]:
    found: list[Finding] = []
    s = settings.server
    if s.public_url:
        scheme = urlsplit(s.public_url).scheme
        host = urlsplit(s.public_url).hostname or ""
        if scheme != "https" and host not in _LOOPBACK:
            found.append(
                Finding(
                    WARNING,
                    "public URL",
                    f"[server] public_url {s.public_url} is not https: clients would send app "
                    "passwords in the clear; put a TLS proxy in front (README: Deploy)",
                )
            )
        else:
            found.append(Finding(OK, "public URL", f"clients use {s.public_url}"))
    elif s.host not in _LOOPBACK:
        found.append(
            Finding(
                WARNING,
                "public URL",
                f"DAV listens on {s.host} without [server] public_url: put a TLS proxy in "
                "front and set public_url to its https URL",
            )
        )
    found.append(Finding(OK, "portal URL", f"browsers use {settings.portal.url}"))
    return found


def _ports(settings: Settings) -> list[Finding]:
    found: list[Finding] = []
    for what, host, port in (
        ("DAV", settings.server.host, settings.server.port),
        ("portal", settings.portal.host, settings.portal.port),
    ):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError as exc:
                found.append(
                    Finding(
                        ERROR,
                        "ports",
                        f"{what} port {host}:{port} is not free ({exc.strerror}): is davbridge "
                        "already running? Stop it, or choose another port",
                    )
                )
                continue
        found.append(Finding(OK, "ports", f"{what} port {host}:{port} is free"))
    return found


# -- network checks -----------------------------------------------------------------------
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
