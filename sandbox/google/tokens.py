"""OAuth clients, authorization codes, access and refresh tokens of the Google sandbox.

Shapes follow "Using OAuth 2.0 for Web Server Applications": opaque access tokens (`ya29.…`) with
`expires_in`, refresh tokens (`1//…`) issued for `access_type=offline`, single-use codes valid
10 minutes, PKCE S256/plain. Revoking a refresh token (or its access token) kills the whole
grant ("Revoking a token"); a password change/admin revocation kills every grant of the user.
Pure bookkeeping: no HTTP, no HTML.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

CALENDAR = "https://www.googleapis.com/auth/calendar"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events"
CALENDAR_EVENTS_READONLY = "https://www.googleapis.com/auth/calendar.events.readonly"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"
PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
# Short scope names Google accepts and answers with their long form (OpenID Connect page).
ALIASES = {"email": EMAIL, "profile": PROFILE}
KNOWN_SCOPES = {
    CALENDAR,
    CALENDAR_READONLY,
    CALENDAR_EVENTS,
    CALENDAR_EVENTS_READONLY,
    EMAIL,
    PROFILE,
    "openid",
    # Google Tasks (tasks_model.py; https://developers.google.com/tasks/reference/rest, scopes)
    "https://www.googleapis.com/auth/tasks",
    "https://www.googleapis.com/auth/tasks.readonly",
}
READ_SCOPES = {CALENDAR, CALENDAR_READONLY, CALENDAR_EVENTS, CALENDAR_EVENTS_READONLY}
WRITE_SCOPES = {CALENDAR, CALENDAR_EVENTS}
CODE_LIFETIME = 600


def normalize_scopes(raw: str) -> list[str]:
    out: list[str] = []
    for s in raw.split():
        full = ALIASES.get(s, s)
        if full not in out:
            out.append(full)
    return out


@dataclass
class Client:
    client_id: str
    client_secret: str
    name: str


@dataclass
class Grant:
    """A refresh token and what it was granted for."""

    refresh_token: str
    client_id: str
    user: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    client_id: str
    user: str
    scopes: list[str]
    expires_at: float
    refresh_token: str | None = None


@dataclass
class AuthCode:
    code: str
    client_id: str
    user: str
    redirect_uri: str
    scopes: list[str]
    offline: bool
    challenge: str | None
    method: str
    expires_at: float
    used: bool = False
    nonce: str | None = None  # OpenID Connect: echoed in the id_token of this code


@dataclass
class TokenStore:
    clients: dict[str, Client] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, AccessToken] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    access_lifetime: int = 3599

    def add_client(self, name: str) -> Client:
        cid = f"{secrets.randbelow(10**12):012d}-{secrets.token_hex(16)}.apps.googleusercontent.com"
        client = Client(cid, "GOCSPX-" + secrets.token_urlsafe(21), name)
        self.clients[cid] = client
        return client

    def issue_code(
        self,
        client_id: str,
        user: str,
        redirect_uri: str,
        scopes: list[str],
        offline: bool,
        challenge: str | None,
        method: str,
        nonce: str | None = None,
    ) -> str:
        code = "4/0A" + secrets.token_urlsafe(40)
        self.codes[code] = AuthCode(
            code,
            client_id,
            user,
            redirect_uri,
            scopes,
            offline,
            challenge,
            method,
            time.time() + CODE_LIFETIME,
            nonce=nonce,
        )
        return code

    def new_grant(self, client_id: str, user: str, scopes: list[str]) -> Grant:
        grant = Grant("1//0" + secrets.token_urlsafe(60), client_id, user, list(scopes))
        self.grants[grant.refresh_token] = grant
        return grant

    def issue_access(
        self, client_id: str, user: str, scopes: list[str], refresh: str | None
    ) -> AccessToken:
        tok = AccessToken(
            "ya29." + secrets.token_urlsafe(90),
            client_id,
            user,
            list(scopes),
            time.time() + self.access_lifetime,
            refresh,
        )
        self.access[tok.token] = tok
        self._prune()
        return tok

    def _prune(self) -> None:
        if len(self.access) > 5000:
            now = time.time()
            self.access = {k: v for k, v in self.access.items() if v.expires_at > now}

    def valid_access(self, token: str) -> AccessToken | None:
        tok = self.access.get(token)
        if tok is None or tok.expires_at <= time.time():
            return None
        grant = self.grants.get(tok.refresh_token) if tok.refresh_token else None
        return None if grant is not None and grant.revoked else tok

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token and the grant behind it."""
        grant = self.grants.get(token)
        if grant is None and token in self.access:
            ref = self.access[token].refresh_token
            grant = self.grants.get(ref) if ref else None
            if grant is None:
                del self.access[token]
                return True
        if grant is None or grant.revoked:
            return False
        grant.revoked = True
        for key in [k for k, v in self.access.items() if v.refresh_token == grant.refresh_token]:
            del self.access[key]
        return True

    def revoke_user(self, user: str | None) -> int:
        n = 0
        for grant in self.grants.values():
            if not grant.revoked and (user is None or grant.user == user):
                self.revoke(grant.refresh_token)
                n += 1
        return n

    def expire_access(self) -> int:
        for tok in self.access.values():
            tok.expires_at = 0
        return len(self.access)

    def to_json(self) -> dict[str, Any]:
        return {
            "clients": [asdict(c) for c in self.clients.values()],
            "grants": [asdict(g) for g in self.grants.values()],
            "access": [asdict(a) for a in self.access.values() if a.expires_at > time.time()],
            "access_lifetime": self.access_lifetime,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenStore:
        out = cls(access_lifetime=int(data.get("access_lifetime", 3599)))
        out.clients = {c["client_id"]: Client(**c) for c in data["clients"]}
        out.grants = {g["refresh_token"]: Grant(**g) for g in data["grants"]}
        out.access = {a["token"]: AccessToken(**a) for a in data.get("access", [])}
        return out


def pkce_ok(verifier: str, challenge: str | None, method: str) -> bool:
    if challenge is None:
        return True
    if method.upper() == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=") == challenge
    return secrets.compare_digest(verifier, challenge)
