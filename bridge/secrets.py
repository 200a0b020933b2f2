"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) for provider tokens
and passwords, and salted slow hashes (scrypt) for app passwords.

The key comes from DAVBRIDGE_SECRET_KEY, else a key file (created 0600 on first use, in a 0700
directory when it has to make one). `davbridge serve` keeps that file beside its configuration,
outside the data directory, so a copy of the data alone cannot be decrypted.
Several keys may be given, newest first, separated by commas: decryption tries each
(MultiFernet), so `davbridge rotate-key` can re-encrypt without downtime.
This module must never log or return plaintext anywhere but to its caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets as _random
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bridge.errors import ConfigError
from bridge.files import PRIVATE_DIR, PRIVATE_FILE

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class SecretBox:
    """Encrypts and decrypts short secrets with the configured key(s)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigError("secrets.key_file", "no encryption key")
        self.keys: tuple[bytes, ...] = tuple(keys)
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError as exc:
            raise ConfigError("secrets.key_file", "not a valid Fernet key") from exc

    @staticmethod
    def load(key_file: Path, env: dict[str, str] | None = None) -> SecretBox:
        env = dict(os.environ) if env is None else env
        if env.get("DAVBRIDGE_SECRET_KEY"):
            return SecretBox([k.strip().encode() for k in env["DAVBRIDGE_SECRET_KEY"].split(",")])
        try:
            if not key_file.exists():
                key_file.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
                fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
                with os.fdopen(fd, "wb") as out:
                    out.write(Fernet.generate_key() + b"\n")
            return SecretBox(read_key_file(key_file))
        except OSError as exc:
            raise ConfigError(
                "secrets.key_file",
                f"cannot {'read' if key_file.exists() else 'create'} the key file {key_file} "
                f"({exc.strerror or 'not allowed'}): create it once as its owner with "
                f"`davbridge new-key > {key_file} && chmod 600 {key_file}` (and chown it to the "
                "user davbridge runs as), or set [secrets] key_file to a path that user may "
                "write, or give the key in DAVBRIDGE_SECRET_KEY",
            ) from exc

    def derived_key(self, purpose: str) -> bytes:
        """A 32-byte key for `purpose` derived from the primary key (HMAC-SHA256): the same in
        every process that shares the configuration, never the encryption key itself."""
        return hmac.new(self.keys[0], b"davbridge:" + purpose.encode(), hashlib.sha256).digest()

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken as exc:
            raise ConfigError(
                "secrets.key_file", "a stored secret cannot be decrypted with the configured key(s)"
            ) from exc

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt with the newest key."""
        return self._fernet.rotate(token)


def generate_key() -> bytes:
    return Fernet.generate_key()


def read_key_file(key_file: Path) -> list[bytes]:
    """The keys in a key file, newest first (one per line)."""
    return [line.strip() for line in key_file.read_bytes().split() if line.strip()]


def write_key_file(key_file: Path, keys: list[bytes]) -> None:
    """Replace the key file atomically (a crash leaves the old or the new file, never half),
    readable by the owner only."""
    SecretBox(keys)  # refuse to write anything that is not a valid key list
    tmp = key_file.with_name(key_file.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(b"".join(k + b"\n" for k in keys))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, key_file)


def hash_password(password: str) -> str:
    salt = _random.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def new_app_password() -> str:
    """A random app password grouped for typing: xxxx-xxxx-xxxx-xxxx (80 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(_random.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))
