"""HTTP authentication of the EWS sandbox as on-premises IIS/Exchange does it: Basic and NTLM.

No or bad credentials -> 401 offering `Negotiate`, `NTLM` and `Basic realm="…"`. NTLM is the
connection-based handshake (NEGOTIATE -> 401 CHALLENGE -> AUTHENTICATE) verified with pyspnego's
acceptor; a connection that completed NTLM stays authenticated (IIS behaviour with keep-alive)
until any password changes. Basic is checked on every request. The down-level name
("CONTOSO\\alex"), the bare name and the UPN are all accepted. Besides the sandbox's own account
further accounts (each with its own mailbox, see users_control.py) can be added; `account_of`
names the account (its UPN) a request authenticated as. pyspnego's NTLM acceptor reads
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
    principal: str = ""  # who the connection authenticated as


@dataclass(frozen=True)
class AuthResult:
    ok: bool
    headers: tuple[tuple[str, str], ...] = ()
    user: str = ""


@dataclass
class Login:
    """One more account of the domain: its bare user name, UPN and password."""

    user: str
    upn: str
    password: str


@dataclass
class Authenticator:
    domain: str
    user: str
    upn: str
    password: str
    realm: str = "127.0.0.1"
    generation: int = 0
    others: dict[str, Login] = field(default_factory=dict)  # lower-case UPN -> account
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

    def add_account(self, user: str, upn: str, password: str) -> None:
        """A further account (ValueError when its user name or UPN is taken)."""
        taken = {self.user.lower(), self.upn.lower()}
        for other in self.others.values():
            taken |= {other.user.lower(), other.upn.lower()}
        if user.lower() in taken or upn.lower() in taken:
            raise ValueError(f"an account {user!r} / {upn!r} exists")
        self.others[upn.lower()] = Login(user, upn, password)
        self._write_file()

    def set_account_password(self, upn: str, password: str) -> None:
        """Change one account's password (KeyError for an unknown UPN); as with
        `set_password`, NTLM connections must authenticate again."""
        if upn.lower() == self.upn.lower():
            self.set_password(password)
            return
        self.others[upn.lower()].password = password
        self.generation += 1
        self._write_file()

    def _logins(self) -> list[Login]:
        return [Login(self.user, self.upn, self.password), *self.others.values()]

    def _login_of(self, name: str) -> Login | None:
        """The account a user name belongs to: down-level ("CONTOSO\\bob"), bare or UPN."""
        wanted = name.lower()
        for login in self._logins():
            names = (f"{self.domain}\\{login.user}", login.user, login.upn)
            if wanted in (n.lower() for n in names):
                return login
        return None

    def account_of(self, name: str) -> str:
        """The UPN of the account `name` (as a request authenticated) belongs to; the
        sandbox's own account when unknown."""
        login = self._login_of(name) or self._login_of(name.rpartition("\\")[2])
        return (login.upn if login is not None else self.upn).lower()

    def _write_file(self) -> None:
        lines = []
        for login in self._logins():
            lm = binascii.hexlify(lmowfv1(login.password)).decode().upper()
            nt = binascii.hexlify(ntowfv1(login.password)).decode().upper()
            lines += [
                f"{name}:1000:{lm}:{nt}:[U]:LCT-00000000"
                for name in (f"{self.domain}\\{login.user}", login.upn, login.user)
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

    def check(self, header: str | None, conn: ConnAuth) -> AuthResult:
        """Decide one request; may continue an NTLM handshake on `conn`."""
        if not header:
            if conn.generation == self.generation:
                return AuthResult(True, (), conn.principal or self.down_level)
            return AuthResult(False, self.challenges())
        scheme, _, token = header.strip().partition(" ")
        scheme_l = scheme.lower()
        if scheme_l == "basic":
            try:
                name, _, pw = base64.b64decode(token).decode("utf-8").partition(":")
            except Exception:
                return AuthResult(False, self.challenges())
            login = self._login_of(name)
            if login is not None and pw == login.password:
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
            conn.principal = principal
            conn.ctx = None
            token_out = base64.b64encode(out).decode() if out else ""
            headers = (("WWW-Authenticate", f"{scheme} {token_out}"),) if out else ()
            return AuthResult(True, headers, principal)
        return AuthResult(
            False, (("WWW-Authenticate", f"{scheme} {base64.b64encode(out or b'').decode()}"),)
        )
