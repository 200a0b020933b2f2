"""App registrations, authorization codes, device codes, access and refresh tokens.

Lifetimes follow the identity platform docs: access tokens default to ~1 hour (settable via the
control API; `expires_in` reports the real remaining time), authorization codes live 10 minutes
and redeem once (v2-oauth2-auth-code-flow.md), refresh tokens stay valid until revoked, e.g. by a
password change (refresh-tokens.md: "Refresh tokens aren't revoked when used to acquire new
access tokens"). This module holds state and rules only; no HTTP, no I/O.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

CODE_LIFETIME = 600
DEVICE_CODE_LIFETIME = 900


@dataclass
class App:
    client_id: str
    secret: str
    name: str
    kind: str  # "delegated" (auth code, refresh, device code) | "application" (client creds)

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class AccessToken:
    token: str
    kind: str  # "delegated" | "application"
    client_id: str
    user_id: str | None
    scopes: list[str]
    exp: float


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user_id: str
    scopes: list[str]
    issued: float
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: list[str]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    exp: float
    used: bool = False


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    scopes: list[str]
    exp: float
    user_id: str | None = None  # set when approved
    redeemed: bool = False


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsigned_jwt(claims: dict[str, Any]) -> str:
    """A JWT with alg "none"-like opaque signature; msal does not verify id_token signatures."""
    header = _b64url(json.dumps({"typ": "JWT", "alg": "RS256", "kid": "sandbox"}).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{_b64url(secrets.token_bytes(32))}"


@dataclass
class TokenStore:
    apps: dict[str, App] = field(default_factory=dict)
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, RefreshToken] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    devices: dict[str, DeviceCode] = field(default_factory=dict)
    access_lifetime: int = 3600

    def issue_access(
        self,
        kind: str,
        client_id: str,
        user_id: str | None,
        scopes: list[str],
        claims: dict[str, Any],
    ) -> AccessToken:
        exp = time.time() + self.access_lifetime
        token = unsigned_jwt({**claims, "exp": int(exp), "jti": secrets.token_hex(8)})
        at = AccessToken(token, kind, client_id, user_id, scopes, exp)
        self.access[token] = at
        self._gc()
        return at

    def issue_refresh(self, client_id: str, user_id: str, scopes: list[str]) -> RefreshToken:
        token = "0.AS" + _b64url(secrets.token_bytes(96))
        rt = RefreshToken(token, client_id, user_id, scopes, time.time())
        self.refresh[token] = rt
        return rt

    def lookup_access(self, token: str) -> AccessToken | None:
        at = self.access.get(token)
        if at is None or at.exp <= time.time():
            return None
        return at

    def expire_access(self) -> int:
        now = time.time()
        for at in self.access.values():
            at.exp = min(at.exp, now - 1)
        return len(self.access)

    def revoke_refresh(self, user_id: str | None = None) -> int:
        count = 0
        for rt in self.refresh.values():
            if user_id is None or rt.user_id == user_id:
                rt.revoked = True
                count += 1
        return count

    def _gc(self) -> None:
        if len(self.access) > 5000:
            now = time.time()
            self.access = {k: v for k, v in self.access.items() if v.exp > now - 86400}

    def to_json(self) -> dict[str, Any]:
        return {
            "apps": [a.to_json() for a in self.apps.values()],
            "access": [vars(a) for a in self.access.values()],
            "refresh": [vars(r) for r in self.refresh.values()],
            "access_lifetime": self.access_lifetime,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenStore:
        store = cls()
        store.apps = {a["client_id"]: App(**a) for a in data.get("apps", [])}
        store.access = {a["token"]: AccessToken(**a) for a in data.get("access", [])}
        store.refresh = {r["token"]: RefreshToken(**r) for r in data.get("refresh", [])}
        store.access_lifetime = int(data.get("access_lifetime", 3600))
        return store
