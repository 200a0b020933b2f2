"""`davbridge check`: is this installation ready? Each finding names what was checked, what is
wrong and what to do, in plain words.

Cheap checks here (no network; `serve` runs them at start and logs warnings): the
configuration, owner-only modes of the data directory, database and key file (and that the key
is not kept in the data directory it protects), the database's integrity, the public URLs'
schemes, free ports. The network checks (public URLs through the proxy, each provider's
endpoints and app registration, TLS, clock skew) are in bridge.entry.check_providers.

A composition root's helper: reads settings and files, binds and closes sockets; changes
nothing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bridge.files import loose
from bridge.settings import Settings

OK, WARNING, ERROR = "ok", "warning", "error"
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
        from bridge.entry.check_providers import providers

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
    if settings.store.url:
        return _postgres(settings.store.url)
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


def _postgres(url: str) -> list[Finding]:
    """The PostgreSQL store (issue 17) answers and holds davbridge's tables; the URL's password
    is never shown."""
    import psycopg

    where = url.split("@", 1)[-1]
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute("SELECT to_regclass('users') IS NOT NULL").fetchone()
            if not row or not row[0]:
                return [
                    Finding(OK, "database", f"PostgreSQL {where}: tables created at first start")
                ]
            users = conn.execute("SELECT count(*) FROM users").fetchone()
    except psycopg.Error as exc:
        return [Finding(ERROR, "database", f"PostgreSQL {where} cannot be reached ({exc})")]
    return [Finding(OK, "database", f"PostgreSQL {where}: {users[0] if users else 0} users")]
