"""Typed configuration: a TOML file plus `DAVBRIDGE_<SECTION>_<KEY>` environment overrides.

Every option has its default and help text beside it (the schema is the documentation; the
example in config/davbridge.example.toml is generated from it). `discover` finds the file:
--config, else DAVBRIDGE_CONFIG, else /etc/davbridge/davbridge.toml. This module must not import
anything from the bridge but `errors`, and does no I/O beyond finding and reading that file
(and looking whether a key file exists).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bridge.errors import ConfigError


def _opt(default: Any, help: str) -> Any:  # noqa: A002 - "help" reads best in the schema
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ServerSettings:
    host: str = _opt("127.0.0.1", "Address the DAV server listens on.")
    port: int = _opt(5232, "TCP port of the DAV server (CalDAV/CardDAV, /health).")
    max_content_length: int = _opt(10_000_000, "Largest request body accepted, bytes (413 above).")
    threads: int = _opt(8, "Worker threads serving DAV requests.")
    public_url: str = _opt("", "URL clients use, when behind a proxy (default http://host:port/).")
    write_budget_seconds: float = _opt(
        25.0,
        "Longest a client's PUT/DELETE waits for the provider (throttling included); past it "
        "the client gets 503 + Retry-After and may safely retry.",
    )
    lock_timeout_seconds: float = _opt(
        10.0,
        "Longest a request waits for a collection busy with another write or pull (503 + "
        "Retry-After after that); also SQLite's busy timeout.",
    )
    health_token: str = _opt(
        "",
        "Monitoring token: `Authorization: Bearer <token>` on /health shows each connection's "
        "status (without it, or an administrator's credentials, /health says only ok/degraded).",
    )


@dataclass(frozen=True)
class StoreSettings:
    data_dir: str = _opt(
        "/var/lib/davbridge",
        "Directory for the SQLite mirror (created 0700, files 0600); relative paths are taken "
        "from the working directory.",
    )
    database: str = _opt("", "SQLite file path (default <data_dir>/davbridge.sqlite3).")
    url: str = _opt(
        "",
        "PostgreSQL instead of SQLite (issue 17): postgresql://user:password@host/db; several "
        "`davbridge serve` processes on one or more hosts may share one database.",
    )


@dataclass(frozen=True)
class SyncSettings:
    refresh_interval_s: float = _opt(300.0, "A collection older than this is refreshed.")
    request_refresh_timeout_s: float = _opt(
        2.0,
        "How long a client request may wait for the first fill of a collection never synced "
        "before (a stale one is served from the mirror at once and refreshed in the background).",
    )
    window_days_back: int = _opt(183, "Events mirrored from this many days in the past.")
    window_days_forward: int = _opt(548, "Events mirrored up to this many days ahead.")
    background: bool = _opt(True, "Refresh collections in a background loop.")
    discover_interval_s: float = _opt(
        600.0, "How often each connection's list of calendars is refreshed (new ones appear)."
    )
    pull_lease_s: float = _opt(
        30.0,
        "Pull lease of a collection (several processes on one database): renewed while "
        "pulling; a crashed process's collections are taken over after at most this long.",
    )


@dataclass(frozen=True)
class SecretsSettings:
    key_file: str = _opt(
        "",
        "File holding the Fernet key for secrets at rest, created 0600 on first start when "
        "missing (default: secret.key beside the configuration file, e.g. "
        "/etc/davbridge/secret.key, so it is not in the data directory it protects; "
        "env DAVBRIDGE_SECRET_KEY wins).",
    )


@dataclass(frozen=True)
class GraphSettings:
    authority_host: str = _opt(
        "https://login.microsoftonline.com", "Microsoft identity platform host."
    )
    tenant: str = _opt("organizations", "Directory (tenant) id, or organizations/common.")
    client_id: str = _opt("", "Application (client) id of the Azure app registration.")
    client_secret: str = _opt("", "Client secret of the app registration.")
    graph_base_url: str = _opt("https://graph.microsoft.com/v1.0", "Graph API base URL.")
    ca_bundle: str = _opt("", "CA bundle (PEM) to verify TLS with; empty: system store.")

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant}"


@dataclass(frozen=True)
class GoogleSettings:
    client_id: str = _opt("", "OAuth client id (Google Cloud console, type Web application).")
    client_secret: str = _opt("", "OAuth client secret.")
    auth_uri: str = _opt("https://accounts.google.com/o/oauth2/v2/auth", "Authorization endpoint.")
    token_uri: str = _opt("https://oauth2.googleapis.com/token", "Token endpoint.")
    revoke_uri: str = _opt("https://oauth2.googleapis.com/revoke", "Token revocation endpoint.")
    calendar_api_base: str = _opt(
        "https://www.googleapis.com/calendar/v3/", "Calendar API v3 base URL."
    )
    people_api_base: str = _opt("https://people.googleapis.com/", "People API v1 base URL.")
    tasks_api_base: str = _opt("https://tasks.googleapis.com/", "Tasks API v1 base URL.")
    ca_bundle: str = _opt("", "CA bundle (PEM) to verify TLS with; empty: system store.")


@dataclass(frozen=True)
class EwsSettings:
    default_url: str = _opt(
        "",
        "EWS URL of your Exchange Server, offered when a user connects Exchange "
        "(https://mail.example.com/EWS/Exchange.asmx). Exchange Online no longer serves EWS "
        "to davbridge: connect Microsoft 365 through Graph.",
    )
    default_version: str = _opt(
        "Exchange2016", "Exchange2013, Exchange2013_SP1, Exchange2016 or Exchange2019."
    )
    auth_type: str = _opt("NTLM", "NTLM or basic.")
    ca_bundle: str = _opt("", "CA bundle (PEM) for the EWS server's TLS; empty: system store.")


@dataclass(frozen=True)
class ContactsSettings:
    default_region: str = _opt(
        "US",
        "Region (ISO 3166 alpha-2) for numbers written without a country code; "
        "each user can override it.",
    )
    lookup_token: str = _opt(
        "",
        "Organisation token for PBX caller lookup (/lookup, phonebooks) besides app "
        "passwords; empty: app passwords only.",
    )


@dataclass(frozen=True)
class LimitsSettings:
    description_chars: int = _opt(
        1_000_000,
        "Longest DESCRIPTION / X-ALT-DESC (characters) enrichment reads and the mirror keeps; "
        "a provider event's longer one is served shortened, a client's is refused (403).",
    )
    tels_per_contact: int = _opt(
        200,
        "TEL numbers of one contact indexed for caller lookup; a client's card with more is "
        "refused (403), a provider's is served whole with the first ones indexed.",
    )
    attendees_per_event: int = _opt(
        2_000,
        "ATTENDEEs per event; a provider event with more is served with the first ones, a "
        "client's is refused (403).",
    )
    components_per_resource: int = _opt(
        1_000,
        "Components (series master and overridden occurrences) per calendar resource; the "
        "same rule as attendees.",
    )
    instances_per_expansion: int = _opt(
        2_000,
        "Most occurrences one recurrence expansion produces (time ranges of recurring "
        "events; CalDAV expand).",
    )
    resource_bytes: int = _opt(
        8_000_000,
        "Largest calendar object or contact a client may PUT, bytes (advertised as "
        "CALDAV:/CARDDAV:max-resource-size; 403 with that precondition above it). Capped at "
        "[server] max_content_length: a body over that is refused (413) before it is read.",
    )
    min_year: int = _opt(
        1601, "Earliest year a client may write or expand an event in (403 before)."
    )
    max_year: int = _opt(2200, "Latest year a client may write or expand an event in (403 after).")

    def __post_init__(self) -> None:
        for name in (
            "description_chars",
            "tels_per_contact",
            "attendees_per_event",
            "components_per_resource",
            "instances_per_expansion",
            "resource_bytes",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"limits.{name}", "must be at least 1")
        if not 1 <= self.min_year <= self.max_year <= 9999:
            raise ConfigError("limits.min_year", "need 1 <= min_year <= max_year <= 9999")


_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class PortalSettings:
    host: str = _opt("127.0.0.1", "Address the web portal listens on.")
    port: int = _opt(5233, "TCP port of the web portal.")
    public_url: str = _opt(
        "",
        "URL browsers use for the portal, when behind a proxy (default http://host:port/); "
        "must be https unless the portal is only reachable on this machine.",
    )
    session_hours: int = _opt(12, "A portal sign-in lasts this many hours.")

    def __post_init__(self) -> None:
        # session cookies are Secure and carry passwords' worth of access: plain http only on
        # the loopback interface, where nothing crosses a network
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("portal.public_url", f"not an http(s) URL: {self.url!r}")
        loopback = parts.hostname in _LOOPBACK_HOSTS or parts.hostname.startswith("127.")
        if parts.scheme != "https" and not loopback:
            raise ConfigError(
                "portal.public_url",
                f"{self.url} is not https: browsers would send sign-ins in the clear; set "
                "portal.public_url to the https URL of your proxy (plain http is allowed on "
                "127.0.0.1 only)",
            )
        if self.session_hours < 1:
            raise ConfigError("portal.session_hours", "must be at least 1")

    @property
    def url(self) -> str:
        """Where browsers reach the portal, ending with "/"."""
        if self.public_url:
            return self.public_url.rstrip("/") + "/"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


@dataclass(frozen=True)
class LogSettings:
    level: str = _opt("INFO", "DEBUG, INFO, WARNING or ERROR.")
    format: str = _opt("json", "json (one object per line) or text.")


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    secrets: SecretsSettings = field(default_factory=SecretsSettings)
    graph: GraphSettings = field(default_factory=GraphSettings)
    google: GoogleSettings = field(default_factory=GoogleSettings)
    ews: EwsSettings = field(default_factory=EwsSettings)
    contacts: ContactsSettings = field(default_factory=ContactsSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    portal: PortalSettings = field(default_factory=PortalSettings)
    log: LogSettings = field(default_factory=LogSettings)

    @property
    def data_dir(self) -> Path:
        return Path(self.store.data_dir)

    @property
    def database_path(self) -> Path:
        return (
            Path(self.store.database)
            if self.store.database
            else self.data_dir / "davbridge.sqlite3"
        )

    @property
    def store_target(self) -> Path | str:
        """Where the store lives: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.store.url or self.database_path

    @property
    def max_resource_size(self) -> int:
        """The largest resource a client may PUT (RFC 4791 §5.2.5, RFC 6352 §6.2.3): `[limits]
        resource_bytes`, but never more than the largest body read at all."""
        return min(self.limits.resource_bytes, self.server.max_content_length)

    def replace(self, section: str, **values: Any) -> Settings:
        return dataclasses.replace(
            self, **{section: dataclasses.replace(getattr(self, section), **values)}
        )


def _coerce(section: str, key: str, kind: Any, value: Any) -> Any:
    target = {"str": str, "int": int, "float": float, "bool": bool}[
        kind if isinstance(kind, str) else kind.__name__
    ]
    if target is bool and isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{section}.{key}", f"expected a boolean, got {value!r}")
    if target is float and isinstance(value, int):
        return float(value)
    if isinstance(value, target) and not (target is int and isinstance(value, bool)):
        return value
    if isinstance(value, str):
        try:
            return target(value)
        except ValueError as exc:
            raise ConfigError(
                f"{section}.{key}", f"expected {target.__name__}, got {value!r}"
            ) from exc
    raise ConfigError(f"{section}.{key}", f"expected {target.__name__}, got {value!r}")


DEFAULT_CONFIG = Path("/etc/davbridge/davbridge.toml")


def discover(given: str | Path | None, env: dict[str, str] | None = None) -> Path:
    """The configuration file to use: `given` (--config), else $DAVBRIDGE_CONFIG, else
    /etc/davbridge/davbridge.toml when it exists; otherwise a ConfigError saying how to make
    one. Nothing falls back silently to a directory of its own."""
    env = dict(os.environ) if env is None else env
    if given:
        return Path(given)
    if env.get("DAVBRIDGE_CONFIG"):
        return Path(env["DAVBRIDGE_CONFIG"])
    if DEFAULT_CONFIG.is_file():
        return DEFAULT_CONFIG
    raise ConfigError(
        "config",
        f"no configuration file: pass --config FILE, set DAVBRIDGE_CONFIG, or create "
        f"{DEFAULT_CONFIG} (`davbridge config-example > davbridge.toml` writes a documented "
        "one to edit; `davbridge demo` needs none)",
    )


def load(path: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Settings from `path` (TOML) with environment overrides; unknown keys are errors.
    Loaded from a file, the key file defaults to secret.key beside it (or, when only that
    exists, to the <data_dir>/secret.key of earlier versions)."""
    env = dict(os.environ) if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(
                "config",
                f"configuration file not found: {path} (check --config or DAVBRIDGE_CONFIG)",
            ) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("config", f"{path} is not valid TOML: {exc}") from exc
    sections: dict[str, Any] = {}
    for sec_field in dataclasses.fields(Settings):
        section_cls: Any = sec_field.default_factory
        given = raw.pop(sec_field.name, {})
        if not isinstance(given, dict):
            raise ConfigError(sec_field.name, "must be a table")
        values: dict[str, Any] = {}
        for opt in dataclasses.fields(section_cls):
            env_key = f"DAVBRIDGE_{sec_field.name}_{opt.name}".upper()
            from_file = given.pop(opt.name, None)
            if env_key in env:
                values[opt.name] = _coerce(sec_field.name, opt.name, opt.type, env[env_key])
            elif from_file is not None:
                values[opt.name] = _coerce(sec_field.name, opt.name, opt.type, from_file)
        if given:
            raise ConfigError(f"{sec_field.name}.{next(iter(given))}", "unknown option")
        sections[sec_field.name] = section_cls(**values)
    if raw:
        raise ConfigError(next(iter(raw)), "unknown section")
    loaded = Settings(**sections)
    if path is not None and not loaded.secrets.key_file:
        beside = Path(path).resolve().parent / "secret.key"
        # installations from before this default keep their key where it is (`davbridge
        # check` says to move it) rather than getting a new one that decrypts nothing
        legacy = loaded.data_dir / "secret.key"
        chosen = legacy if legacy.exists() and not beside.exists() else beside
        loaded = loaded.replace("secrets", key_file=str(chosen))
    return loaded


def example_toml() -> str:
    """The documented example configuration, generated from the schema."""
    lines = [
        "# davbridge configuration. Every option may also be set as",
        "# DAVBRIDGE_<SECTION>_<OPTION> in the environment (e.g. DAVBRIDGE_SERVER_PORT).",
        "",
    ]
    for sec_field in dataclasses.fields(Settings):
        factory: Any = sec_field.default_factory
        section = factory()
        lines.append(f"[{sec_field.name}]")
        for opt in dataclasses.fields(section):
            lines.append(f"# {opt.metadata['help']}")
            value = getattr(section, opt.name)
            rendered = (
                ("true" if value else "false")
                if isinstance(value, bool)
                else (f'"{value}"' if isinstance(value, str) else repr(value))
            )
            lines.append(f"{opt.name} = {rendered}")
        lines.append("")
    return "\n".join(lines)
