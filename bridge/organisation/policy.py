"""The organisation's integration policy (P1–P7) as a value: what it allows, the checks that
refuse in plain words, group overrides (P6) and parsing of the admin portal's forms.

Pure: no I/O, no store, no clock. It must not decide *who* the policy applies to (that is
bridge/organisation/administration.py) nor enforce it on connections (bridge/accounts/onboarding.py does, with these
checks).

Allowed domains (P4) are compared exactly, case-insensitively, on the part of the email address
after the last "@" (internationalised names in their IDNA "xn--" form): "contoso.example" allows
"a@contoso.example" and "a@CONTOSO.example", but neither "a@evilcontoso.example" nor
"a@sales.contoso.example" — an organisation that uses sub-domains lists each of them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bridge.errors import BadInput, PolicyRefused

SERVICES: tuple[str, ...] = ("microsoft365", "google", "exchange")
SERVICE_LABELS: Mapping[str, str] = {
    "microsoft365": "Microsoft 365",
    "google": "Google",
    "exchange": "Exchange",
}
# Settings that existed once and are ignored when read back from the database: P2's
# "Microsoft 365 through EWS" (Exchange Online blocks EWS from 1 October 2026 and ends it on
# 1 April 2027, and never accepted the password sign-in davbridge's EWS uses since 2022), so
# Microsoft 365 is always connected through Graph.
RETIRED_SETTINGS: frozenset[str] = frozenset({"microsoft_api"})
SETUPS: tuple[str, ...] = ("user", "admin")
CONNECT_PROMPTS: tuple[str, ...] = ("never", "first", "every")

_ASK = "Ask your administrator if you need it."
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TRUE = frozenset({"1", "on", "true", "yes"})
_FALSE = frozenset({"0", "off", "false", "no", ""})


def normalize_domain(text: str) -> str:
    """`text` as a lower-case ASCII domain name; BadInput when it is not one."""
    name = text.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii") if name and not name.isascii() else name
    except UnicodeError as exc:
        raise BadInput(f"{text!r} is not a domain name") from exc
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise BadInput(f"{text!r} is not a domain name")
    return name


def domain_of(email: str) -> str | None:
    """The normalised domain of an email address (after the last "@"), None if it has none."""
    _, at, domain = email.strip().rpartition("@")
    if not at:
        return None
    try:
        return normalize_domain(domain)
    except BadInput:
        return None


@dataclass(frozen=True)
class Policy:
    """Organisation settings, or an organisation's settings with a group's overrides applied.

    Constructing one validates it (BadInput on a bad value); `allowed_domains` is normalised
    (lower case, IDNA, duplicates dropped, order kept)."""

    enabled: bool = True  # P1 integration on/off
    default_service: str = "microsoft365"  # P2
    force_service: bool = False  # P2: only the default service is offered and accepted
    setup: str = "user"  # P3: "user" (own OAuth consent) | "admin" (application permissions)
    allowed_domains: tuple[str, ...] = ()  # P4: empty = any
    allow_write_calendars: bool = True  # P5
    allow_contacts: bool = True  # P5
    connect_prompt: str = "first"  # P7: "never" | "first" | "every" (until connected)
    directory: bool = False  # K5: the organisation's directory as an address book (branch views)

    def __post_init__(self) -> None:
        for f in FIELDS_BY_NAME.values():
            value = getattr(self, f.name)
            if f.kind == "bool" and not isinstance(value, bool):
                raise BadInput(f"{f.label}: {value!r} is not yes or no")
            if f.kind == "choice" and value not in f.values():
                raise BadInput(f"{f.label}: {value!r} is not one of {', '.join(f.values())}")
        domains = self.allowed_domains
        if isinstance(domains, str) or not isinstance(domains, Iterable):
            raise BadInput(f"allowed domains: {domains!r} is not a list of domains")
        normal = tuple(dict.fromkeys(normalize_domain(str(d)) for d in domains))
        object.__setattr__(self, "allowed_domains", normal)

    # -- what is offered --------------------------------------------------------------------
    def services(self) -> tuple[str, ...]:
        """Services users may connect: the default first; only it when forced; none when the
        integration is switched off."""
        if not self.enabled:
            return ()
        if self.force_service:
            return (self.default_service,)
        return (self.default_service,) + tuple(s for s in SERVICES if s != self.default_service)

    # -- checks (PolicyRefused names the setting and says what to do) -----------------------
    def check_enabled(self) -> None:
        if not self.enabled:
            raise PolicyRefused(
                "enabled",
                "The calendar and contacts integration is switched off by your administrator. "
                + _ASK,
            )

    def check_service(self, service: str) -> None:
        if service not in SERVICES:
            raise BadInput(f"unknown service {service!r}")
        self.check_enabled()
        if service not in self.services():
            raise PolicyRefused(
                "force_service",
                f"Your administrator allows only {SERVICE_LABELS[self.default_service]} "
                f"for calendars and contacts, not {SERVICE_LABELS[service]}. " + _ASK,
            )

    def check_permissions(self, *, write: bool, contacts: bool) -> None:
        if write and not self.allow_write_calendars:
            raise PolicyRefused(
                "allow_write_calendars",
                "Your administrator allows calendars to be read only: the bridge may not change "
                "your calendars. Untick \u201cwrite calendars\u201d, or ask your administrator.",
            )
        if contacts and not self.allow_contacts:
            raise PolicyRefused(
                "allow_contacts",
                "Your administrator does not allow contacts to be synchronised. Untick "
                "\u201csync contacts\u201d, or ask your administrator.",
            )

    def check_domain(self, email: str) -> None:
        if not self.allowed_domains:
            return
        domain = domain_of(email)
        if domain in self.allowed_domains:
            return
        allowed = ", ".join(self.allowed_domains)
        if domain:
            who = f"Accounts of {domain}"
        elif email.strip():
            who = f"The address {email.strip()!r}"
        else:
            who = "Accounts without an email address"
        raise PolicyRefused(
            "allowed_domains",
            f"{who} may not use the calendar and contacts integration (allowed: {allowed}). "
            + _ASK,
        )

    # -- overrides and serialisation ----------------------------------------------------------
    def with_overrides(self, overrides: Mapping[str, object]) -> Policy:
        """This policy with `overrides` applied (group settings, P6, or a stored policy).
        BadInput on an unknown setting or a value of the wrong kind."""
        changes: dict[str, object] = {}
        for key, value in overrides.items():
            if key in RETIRED_SETTINGS:
                continue
            f = FIELDS_BY_NAME.get(key)
            if f is None:
                raise BadInput(f"unknown setting {key!r}")
            if f.kind == "domains":
                if isinstance(value, str) or not isinstance(value, (list, tuple)):
                    raise BadInput(f"{f.label}: expected a list of domains, got {value!r}")
                value = tuple(value)
            changes[key] = value
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: every setting; domains as a list."""
        data = dataclasses.asdict(self)
        data["allowed_domains"] = list(self.allowed_domains)
        return data


def policy_from_dict(data: Mapping[str, object]) -> Policy:
    """A policy from stored JSON (the defaults for anything missing); BadInput when invalid."""
    return Policy().with_overrides(data)


@dataclass(frozen=True)
class PolicyField:
    """One setting as the admin portal shows it. `kind` is "bool" (checkbox; in a group form a
    select of inherit/yes/no), "choice" (select of `choices`) or "domains" (text, one domain
    per line or comma-separated, empty = any)."""

    name: str
    label: str
    help: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()

    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    def describe(self, value: object) -> str:
        """`value` of this setting in plain words (for "inherits …" hints and summaries)."""
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "domains":
            items = list(value) if isinstance(value, (list, tuple)) else []
            return ", ".join(str(d) for d in items) or "any domain"
        return dict(self.choices).get(str(value), str(value))

    def parse(self, raw: str) -> object:
        """The value a form field sent; BadInput when it is not one this setting takes."""
        text = raw.strip()
        if self.kind == "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise BadInput(f"{self.label}: {raw!r} is not yes or no")
        if self.kind == "choice":
            if text not in self.values():
                raise BadInput(f"{self.label}: {raw!r} is not one of {', '.join(self.values())}")
            return text
        parts = [p for p in re.split(r"[\s,;]+", text) if p]
        return tuple(dict.fromkeys(normalize_domain(p) for p in parts))


POLICY_FIELDS: tuple[PolicyField, ...] = (
    PolicyField(
        "enabled",
        "Integration switched on",
        "When off, nobody can connect a service and clients see no calendars or contacts.",
        "bool",
    ),
    PolicyField(
        "default_service",
        "Default service",
        "The service offered first to users.",
        "choice",
        tuple((s, SERVICE_LABELS[s]) for s in SERVICES),
    ),
    PolicyField(
        "force_service",
        "Only the default service",
        "Users can connect only the default service; the others are hidden and refused.",
        "bool",
    ),
    PolicyField(
        "setup",
        "Who sets up Microsoft 365",
        "Each user with their own consent, or the administrator once for everyone with "
        "application permissions (no re-authorization by users).",
        "choice",
        (
            ("user", "Each user, with their own consent"),
            ("admin", "The administrator, once for everyone"),
        ),
    ),
    PolicyField(
        "allowed_domains",
        "Allowed email domains",
        "Only accounts of these domains may use the integration (exact match, one per line; "
        "sub-domains must be listed). Empty: any domain.",
        "domains",
    ),
    PolicyField(
        "allow_write_calendars",
        "Users may let the bridge write calendars",
        "When off, calendars are read only for everyone.",
        "bool",
    ),
    PolicyField(
        "allow_contacts",
        "Users may sync contacts",
        "When off, address books are neither synchronised nor shown.",
        "bool",
    ),
    PolicyField(
        "connect_prompt",
        "Ask users to connect a calendar",
        "When a signed-in user is sent to the connect page.",
        "choice",
        (
            ("never", "Never"),
            ("first", "At their first sign-in"),
            ("every", "At every sign-in until connected"),
        ),
    ),
)
POLICY_FIELDS += (
    PolicyField(
        "directory",
        "Company directory as an address book",
        "Users with contacts synced see the organisation's directory (Microsoft 365 users, the "
        "Google Workspace directory, the Exchange address list) as a read-only, searchable "
        "address book, also used by caller lookup. Connections made or re-authorized while "
        "this is on ask for the directory's read-only permission (Microsoft 365: "
        "User.Read.All; Google: directory.readonly).",
        "bool",
    ),
)
FIELDS_BY_NAME: Mapping[str, PolicyField] = {f.name: f for f in POLICY_FIELDS}
INHERIT = "inherit"


def parse_policy_form(form: Mapping[str, str], *, partial: bool) -> dict[str, object]:
    """Settings from an HTML form (other fields such as `csrf` are ignored).

    partial=False (the organisation form): every setting is returned; a missing checkbox is
    False, a missing select or text is BadInput. partial=True (a group's overrides): a field that
    is missing or has the value "inherit" is not overridden and left out of the result; an empty
    domains field overrides to "any domain". BadInput on any value the setting does not take."""
    values: dict[str, object] = {}
    for f in POLICY_FIELDS:
        raw = form.get(f.name)
        if partial:
            if raw is None or raw.strip() == INHERIT:
                continue
        elif raw is None:
            if f.kind != "bool":
                raise BadInput(f"{f.label}: missing")
            raw = ""
        values[f.name] = f.parse(raw)
    return values
