"""HTTP authentication of the EWS sandbox as on-premises IIS/Exchange does it: Basic and NTLM.

No or bad credentials -> 401 offering `Negotiate`, `NTLM` and `Basic realm="…"`. NTLM is the
connection-based handshake (NEGOTIATE -> 401 CHALLENGE -> AUTHENTICATE) verified with pyspnego's
acceptor; a connection that completed NTLM stays authenticated (IIS behaviour with keep-alive)
until the password changes. Basic is checked on every request. The down-level name
("CONTOSO\\alex"), the bare name and the UPN are all accepted. pyspnego's NTLM acceptor reads
credentials from the file named by NTLM_USER_FILE, so the final NTLM step runs under a process
lock with that variable pointed at this sandbox's file. This module must not know EWS.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spnego
from spnego._ntlm_raw.crypto import lmowfv1, ntowfv1

_ENV_LOCK = threading.Lock()


@dataclass
class ConnAuth:
    """Authentication state of one TCP connection."""

    ctx: Any = None
    scheme: str = ""
    generation: int = -1  # credentials generation the connection authenticated with


@dataclass(frozen=True)
class AuthResult:
    ok: bool
    headers: tuple[tuple[str, str], ...] = ()
    user: str = ""


@dataclass
class Authenticator:
    domain: str
    user: str
    upn: str
    password: str
    realm: str = "127.0.0.1"
    generation: int = 0
    _dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="ews-ntlm-"))

    def __post_init__(self) -> None:
        self._write_file()

    @property
    def down_level(self) -> str:
        return f"{self.domain}\\{self.user}"

    def set_password(self, password: str) -> None:
        self.password = password
        self.generation += 1
        self._write_file()

    def _write_file(self) -> None:
        lm = binascii.hexlify(lmowfv1(self.password)).decode().upper()
        nt = binascii.hexlify(ntowfv1(self.password)).decode().upper()
        lines = [
            f"{name}:1000:{lm}:{nt}:[U]:LCT-00000000"
            for name in (self.down_level, self.upn, self.user)
        ]
        path = Path(self._dir) / "ntlm_user_file"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.chmod(path, 0o600)

    def challenges(self) -> tuple[tuple[str, str], ...]:
        return (
            ("WWW-Authenticate", "Negotiate"),
            ("WWW-Authenticate", "NTLM"),
            ("WWW-Authenticate", f'Basic realm="{self.realm}"'),
        )

    def _known(self, name: str) -> bool:
        name = name.lower()
        return name in (self.down_level.lower(), self.upn.lower(), self.user.lower())

    def check(self, header: str | None, conn: ConnAuth) -> AuthResult:
        """Decide one request; may continue an NTLM handshake on `conn`."""
        if not header:
            if conn.generation == self.generation:
                return AuthResult(True, (), self.down_level)
            return AuthResult(False, self.challenges())
        scheme, _, token = header.strip().partition(" ")
        scheme_l = scheme.lower()
        if scheme_l == "basic":
            try:
                name, _, pw = base64.b64decode(token).decode("utf-8").partition(":")
            except Exception:
                return AuthResult(False, self.challenges())
            if self._known(name) and pw == self.password:
                return AuthResult(True, (), name)
            return AuthResult(False, self.challenges())
        if scheme_l in ("ntlm", "negotiate"):
            return self._ntlm(scheme, token, conn)
        return AuthResult(False, self.challenges())

    def _ntlm(self, scheme: str, token: str, conn: ConnAuth) -> AuthResult:
        try:
            raw = base64.b64decode(token)
        except Exception:
            return AuthResult(False, self.challenges())
        is_ntlm = raw.startswith(b"NTLMSSP\x00")
        msg_type = raw[8] if is_ntlm and len(raw) > 8 else 0
        try:
            with _ENV_LOCK:
                previous = os.environ.get("NTLM_USER_FILE")
                os.environ["NTLM_USER_FILE"] = str(Path(self._dir) / "ntlm_user_file")
                try:
                    if conn.ctx is None or msg_type == 1 or not is_ntlm and conn.scheme != scheme:
                        conn.ctx = spnego.server(protocol="ntlm" if is_ntlm else "negotiate")
                        conn.scheme = scheme
                        conn.generation = -1
                    out = conn.ctx.step(raw)
                finally:
                    if previous is None:
                        os.environ.pop("NTLM_USER_FILE", None)
                    else:
                        os.environ["NTLM_USER_FILE"] = previous
        except Exception:
            conn.ctx = None
            return AuthResult(False, self.challenges())
        if conn.ctx.complete:
            conn.generation = self.generation
            principal = str(conn.ctx.client_principal or self.down_level)
            conn.ctx = None
            token_out = base64.b64encode(out).decode() if out else ""
            headers = (("WWW-Authenticate", f"{scheme} {token_out}"),) if out else ()
            return AuthResult(True, headers, principal)
        return AuthResult(
            False, (("WWW-Authenticate", f"{scheme} {base64.b64encode(out or b'').decode()}"),)
        )
