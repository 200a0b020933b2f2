"""Connecting under the organisation's policy (A1–A3, P1–P5) against the real sandboxes: every
check refuses before anything reaches a provider, a refused domain leaves nothing stored,
app-only connections sync without consent, re-authorization after a revoked grant or a changed
Exchange password, statuses in plain words, and the policy enforced on the DAV path."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from bridge.accounts.connections import Connections
from bridge.accounts.onboarding import Onboarding
from bridge.api import Bridge
from bridge.entry.demo_sandboxes import SandboxInfos
from bridge.entry.demo_signin import sign_in_at
from bridge.errors import AuthFailed, BadInput, Forbidden, PolicyRefused, ProviderError
from bridge.model import CollectionKind, ProviderKind
from bridge.organisation.policy import Policy, policy_from_dict
from bridge.settings import Settings
from sandbox.ews.server import EwsSandbox
from sandbox.google.server import GoogleSandbox
from sandbox.server import Sandbox

REDIRECT = "http://127.0.0.1:8765/callback"
EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:onb-{n}\r\n"
    "DTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Policy test\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@dataclass
class Sandboxes:
    graph: Sandbox
    google: GoogleSandbox
    ews: EwsSandbox
    infos: SandboxInfos

    def requests(self) -> int:
        """Every request any provider received (identity, APIs, EWS), control API excluded."""
        return (
            self.graph.request_count("/")
            + self.google.request_count("/")
            + self.ews.request_count()
        )


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[Sandboxes]:
    graph, google, ews = Sandbox(None, seed=True), GoogleSandbox(None, seed=True), EwsSandbox(None)
    infos = SandboxInfos(graph=graph.start(), google=google.start(), ews=ews.start())
    yield Sandboxes(graph, google, ews, infos)
    for sb in (graph, google, ews):
        sb.stop()


def control(url: str, path: str, body: Any = None, ca: str | bool = True) -> Any:
    resp = requests.post(url + path, json=body or {}, verify=ca, timeout=10)
    assert resp.status_code < 300, resp.text
    return resp.json() if resp.content else None


@dataclass
class World:
    bridge: Bridge
    onboarding: Onboarding
    policies: dict[int, Policy]
    sb: Sandboxes

    def set_policy(self, username: str, policy: Policy) -> None:
        user = self.bridge.store.user_by_name(username)
        assert user is not None
        self.policies[user.id] = policy

    def sign_in(self, url: str, kind: ProviderKind) -> dict[str, str]:
        user, password, ca = self.sb.infos.credentials(kind)
        return sign_in_at(url, user, password, REDIRECT, ca)

    def connect(self, service: str = "microsoft365", **ticks: bool) -> Any:
        ticks = {"write": True, "contacts": True, **ticks}
        url, pending = self.onboarding.begin_connect(
            "alex", service, redirect_uri=REDIRECT, **ticks
        )
        kind = ProviderKind.GRAPH if service == "microsoft365" else ProviderKind.GOOGLE
        return self.onboarding.complete_connect(pending, self.sign_in(url, kind))

    def connect_exchange(self, service: str = "exchange", **kw: Any) -> Any:
        e = self.sb.infos.ews
        args: dict[str, Any] = {
            "url": e.ews_url,
            "login": e.username,
            "password": e.password,
            "email": e.upn,
            "version": e.version,
            "write": True,
            "contacts": True,
        }
        return self.onboarding.connect_exchange("alex", service, **(args | kw))

    def stored(self) -> tuple[int, int]:
        db = self.bridge.store._db
        conns = db.execute("SELECT count(*) FROM connections").fetchone()[0]
        secrets = db.execute(
            "SELECT count(*) FROM connections WHERE secret IS NOT NULL"
        ).fetchone()[0]
        return conns, secrets


@pytest.fixture()
def world(sandboxes: Sandboxes, tmp_path: Path) -> Iterator[World]:
    g, o, e = sandboxes.infos.graph, sandboxes.infos.google, sandboxes.infos.ews
    control(g.control_url, "/reset", {"seed": True}, g.ca_file)
    control(g.control_url, "/faults", None, g.ca_file)  # POST {} adds nothing
    requests.delete(g.control_url + "/faults", verify=g.ca_file, timeout=10)
    control(o.control_url, "/reset", {"seed": True}, o.ca_file)
    control(e.control_url, "/reset", {"seed": True})
    settings = sandboxes.infos.configure(Settings().replace("store", data_dir=str(tmp_path)))
    bridge = Bridge(settings)
    policies: dict[int, Policy] = {}

    def policy_for(user_id: int) -> Policy:
        return policies.get(user_id, Policy())

    bridge.engine.policy_for = policy_for
    onboarding = Onboarding(bridge.store, bridge.connections, bridge.engine, settings, policy_for)
    bridge.store.create_user("alex", "alex@contoso.example")
    yield World(bridge, onboarding, policies, sandboxes)
    bridge.close()


# -- every P check refuses before any provider call -------------------------------------------
REFUSALS = [
    (Policy(enabled=False), "microsoft365", {}, "enabled"),
    (Policy(default_service="google", force_service=True), "microsoft365", {}, "force_service"),
    (Policy(default_service="exchange", force_service=True), "google", {}, "force_service"),
    (Policy(setup="admin"), "microsoft365", {}, "setup"),
    (Policy(allow_write_calendars=False), "google", {"write": True}, "allow_write_calendars"),
    (Policy(allow_contacts=False), "microsoft365", {"contacts": True}, "allow_contacts"),
]


@pytest.mark.parametrize(("policy", "service", "ticks", "setting"), REFUSALS)
def test_oauth_connect_is_refused_before_any_provider_call(
    world: World, policy: Policy, service: str, ticks: dict[str, bool], setting: str
) -> None:
    world.set_policy("alex", policy)
    before = world.sb.requests()
    with pytest.raises(PolicyRefused) as err:
        world.onboarding.begin_connect(
            "alex",
            service,
            write=ticks.get("write", False),
            contacts=ticks.get("contacts", False),
            redirect_uri=REDIRECT,
        )
    assert err.value.setting == setting and err.value.http_status == 403
    assert "administrator" in err.value.message
    assert world.sb.requests() == before
    assert world.stored() == (0, 0)


EXCHANGE_REFUSALS = [
    (Policy(enabled=False), "exchange", "enabled"),
    (Policy(default_service="google", force_service=True), "exchange", "force_service"),
    (Policy(allowed_domains=("fabrikam.example",)), "exchange", "allowed_domains"),
    (Policy(allow_contacts=False), "exchange", "allow_contacts"),
]


@pytest.mark.parametrize(("policy", "service", "setting"), EXCHANGE_REFUSALS)
def test_exchange_connect_is_refused_before_any_provider_call(
    world: World, policy: Policy, service: str, setting: str
) -> None:
    world.set_policy("alex", policy)
    before = world.sb.requests()
    with pytest.raises(PolicyRefused) as err:
        world.connect_exchange(service=service)
    assert err.value.setting == setting
    assert world.sb.requests() == before
    assert world.stored() == (0, 0)


def test_services_offered_follow_the_policy(world: World) -> None:
    assert world.onboarding.services_for("alex") == ("microsoft365", "google", "exchange")
    world.set_policy("alex", Policy(default_service="google", force_service=True))
    assert world.onboarding.services_for("alex") == ("google",)
    world.set_policy("alex", Policy(setup="admin"))
    assert world.onboarding.services_for("alex") == ("google", "exchange")
    world.set_policy("alex", Policy(enabled=False))
    assert world.onboarding.services_for("alex") == ()


def test_microsoft365_is_never_connected_over_ews(world: World) -> None:
    """Exchange Online no longer serves EWS to davbridge: the Exchange form refuses Microsoft
    365 and an Exchange Online URL before anything is sent, and a setting stored by an older
    version that chose EWS is ignored (Microsoft 365 goes through Graph)."""
    before = world.sb.requests()
    with pytest.raises(BadInput) as err:
        world.connect_exchange(service="microsoft365")
    assert "Microsoft sign-in" in err.value.message
    with pytest.raises(ProviderError) as refused:
        world.connect_exchange(url="https://outlook.office365.com/EWS/Exchange.asmx")
    assert "1 April 2027" in refused.value.message and "Microsoft 365" in refused.value.message
    assert world.sb.requests() == before and world.stored() == (0, 0)
    world.set_policy("alex", policy_from_dict({"microsoft_api": "ews"}))
    url, pending = world.onboarding.begin_connect(
        "alex", "microsoft365", write=False, contacts=False, redirect_uri=REDIRECT
    )
    assert pending.provider is ProviderKind.GRAPH


def test_a_crafted_consent_for_more_than_allowed_is_refused_and_nothing_stored(
    world: World,
) -> None:
    world.set_policy("alex", Policy(allow_write_calendars=False))
    url, pending = world.onboarding.begin_connect(
        "alex", "microsoft365", write=False, contacts=False, redirect_uri=REDIRECT
    )
    assert pending.scopes == ("User.Read", "Calendars.Read", "Tasks.Read")
    wider = Connections.scopes_for(ProviderKind.GRAPH, True, contacts=False)
    crafted = replace(pending, scopes=wider)
    with pytest.raises(PolicyRefused):
        world.onboarding.complete_connect(crafted, {"code": "x", "state": "y"})
    writes = replace(pending, policy=replace(pending.policy, write_calendars=True))
    with pytest.raises(PolicyRefused) as err:
        world.onboarding.complete_connect(writes, {"code": "x", "state": "y"})
    assert err.value.setting == "allow_write_calendars"
    assert world.stored() == (0, 0)
    # the honest one goes through
    status = world.onboarding.complete_connect(pending, world.sign_in(url, ProviderKind.GRAPH))
    assert status.permissions == {
        "read_calendars": True,
        "write_calendars": False,
        "sync_contacts": False,
    }


@pytest.mark.parametrize("service", ["microsoft365", "google"])
def test_an_account_of_another_domain_is_refused_and_nothing_is_stored(
    world: World, service: str
) -> None:
    world.set_policy("alex", Policy(allowed_domains=("fabrikam.example",)))
    google_revokes = world.sb.google.request_count("/revoke")
    with pytest.raises(PolicyRefused) as err:
        world.connect(service, write=False, contacts=False)
    assert err.value.setting == "allowed_domains"
    assert "contoso.example may not use" in err.value.message
    assert "fabrikam.example" in err.value.message
    assert world.stored() == (0, 0)
    assert world.bridge.store.collections() == []
    if service == "google":  # the fresh grant is revoked at Google, not just forgotten
        assert world.sb.google.request_count("/revoke") == google_revokes + 1


# -- connecting and status -----------------------------------------------------------------
def test_oauth_connect_grants_what_was_ticked_and_reports_status(world: World) -> None:
    status = world.connect("microsoft365", write=False, contacts=False)
    assert (status.service, status.label, status.status) == ("microsoft365", "Microsoft 365", "ok")
    assert status.permissions["read_calendars"] and not status.permissions["write_calendars"]
    assert status.last_sync is not None and status.problem is None and not status.managed
    interval = world.bridge.settings.sync.refresh_interval_s
    assert status.next_sync == pytest.approx(status.last_sync + interval, abs=5)
    kinds = {c.kind for c in world.bridge.store.collections()}
    assert kinds == {CollectionKind.CALENDAR}
    google = world.connect("google", write=True, contacts=True)
    assert google.label == "Google" and all(google.permissions.values())
    assert [s.id for s in world.onboarding.statuses("alex")] == [status.id, google.id]


def test_revoked_grant_needs_reauthorization_in_plain_words(world: World) -> None:
    status = world.connect("microsoft365")
    g = world.sb.infos.graph
    control(g.control_url, "/tokens/revoke", {}, g.ca_file)
    control(g.control_url, "/tokens/expire", {}, g.ca_file)
    world.bridge.connections.forget(status.id)
    cal = next(c for c in world.bridge.store.collections() if c.kind is CollectionKind.CALENDAR)
    world.bridge.engine.refresh(cal.id)
    broken = world.onboarding.status(status.id)
    assert broken.status == "reauth" and broken.needs_reauth and broken.next_sync is None
    assert broken.problem is not None
    assert broken.problem.startswith("Microsoft 365 no longer accepts the bridge's access")
    assert "(the grant was revoked or has expired)" in broken.problem
    assert "until you re-authorize" in broken.problem
    url, pending = world.onboarding.begin_reauthorize("alex", status.id, REDIRECT)
    assert "login_hint=alex%40contoso.example" in url
    again = world.onboarding.complete_connect(pending, world.sign_in(url, ProviderKind.GRAPH))
    assert again.id == status.id and again.status == "ok" and again.problem is None


def test_exchange_reauthorization_after_the_password_changed(world: World) -> None:
    e = world.sb.infos.ews
    status = world.connect_exchange(write=False)
    assert (status.service, status.label) == ("exchange", "Exchange")
    world.bridge.set_toggle("alex", status.id, "contacts", False)
    control(e.control_url, "/password", {"password": "New-Passw0rd!"})
    try:
        world.bridge.connections.forget(status.id)
        for coll in world.bridge.store.collections(connection_id=status.id):
            world.bridge.engine.refresh(coll.id)
        broken = world.onboarding.status(status.id)
        assert broken.status == "reauth" and broken.needs_reauth
        assert broken.problem is not None
        assert "(the password was changed or is wrong)" in broken.problem
        with pytest.raises(AuthFailed, match="wrong user name or password"):
            world.onboarding.reauthorize_exchange("alex", status.id, "still-wrong")
        fixed = world.onboarding.reauthorize_exchange("alex", status.id, "New-Passw0rd!")
        assert fixed.id == status.id and fixed.status == "ok" and fixed.problem is None
        assert not fixed.permissions["write_calendars"] and not fixed.contacts_enabled
    finally:
        control(e.control_url, "/password", {"password": e.password})


def test_exchange_permissions_change_at_once(world: World) -> None:
    status = world.connect_exchange(write=False, contacts=False)
    assert (
        world.onboarding.change_permissions(
            "alex", status.id, write=True, contacts=True, redirect_uri=REDIRECT
        )
        is None
    )
    now = world.onboarding.status(status.id)
    assert all(now.permissions.values())
    assert any(c.kind is CollectionKind.ADDRESSBOOK for c in world.bridge.store.collections())
    world.set_policy("alex", Policy(allow_contacts=False))
    with pytest.raises(PolicyRefused):
        world.onboarding.change_permissions(
            "alex", status.id, write=True, contacts=True, redirect_uri=REDIRECT
        )


def test_oauth_permission_change_reconsents_with_the_new_scopes(world: World) -> None:
    status = world.connect("microsoft365", write=False, contacts=False)
    world.bridge.set_toggle("alex", status.id, "calendars", False)
    answer = world.onboarding.change_permissions(
        "alex", status.id, write=True, contacts=False, redirect_uri=REDIRECT
    )
    assert answer is not None
    url, pending = answer
    assert pending.scopes == ("User.Read", "Calendars.ReadWrite", "Tasks.ReadWrite")
    again = world.onboarding.complete_connect(pending, world.sign_in(url, ProviderKind.GRAPH))
    assert again.id == status.id and again.permissions["write_calendars"]
    assert not again.calendars_enabled  # the toggle was kept


def test_throttled_provider_shows_when_the_next_try_is(world: World) -> None:
    status = world.connect("microsoft365", contacts=False)
    g = world.sb.infos.graph
    fault = {"match": "GET /v1.0/.*", "status": 429, "retry_after": 600, "times": 50}
    control(g.control_url, "/faults", fault, g.ca_file)
    try:
        for coll in world.bridge.store.collections(connection_id=status.id):
            assert world.bridge.engine.refresh(coll.id) is None
    finally:
        requests.delete(g.control_url + "/faults", verify=g.ca_file, timeout=10)
    busy = world.onboarding.status(status.id)
    assert busy.status == "ok" and busy.problem is not None
    assert busy.problem.startswith("Microsoft 365 asked the bridge to slow down; next try at ")
    assert busy.next_sync is not None and busy.next_sync >= world.bridge.engine.clock() + 500


# -- application permissions (P3) ------------------------------------------------------------
def test_admin_setup_connects_users_without_their_consent(world: World) -> None:
    store = world.bridge.store
    alex = store.user_by_name("alex")
    admin = store.create_user("it-admin", "megan@contoso.example", is_admin=True)
    assert alex is not None
    world.policies[alex.id] = world.policies[admin.id] = Policy(setup="admin")
    with pytest.raises(Forbidden):
        world.onboarding.enable_app_permissions("alex")
    authorizes = world.sb.graph.request_count(f"/{world.sb.infos.graph.tenant}/oauth2/v2.0/auth")
    assert world.onboarding.enable_app_permissions("it-admin") == 2
    assert world.sb.graph.request_count(f"/{world.sb.infos.graph.tenant}/oauth2/v2.0/auth") == (
        authorizes
    )
    (mine,) = world.onboarding.statuses("alex")
    assert mine.managed and mine.status == "ok" and not mine.needs_reauth
    assert mine.account == "alex@contoso.example" and mine.last_sync is not None
    conn = store.connection(mine.id)
    assert conn.secret is None and json.loads(conn.settings)["app_only"] is True
    calendars = [c for c in store.collections(connection_id=mine.id) if c.kind.value == "calendar"]
    assert {c.display_name for c in calendars} >= {"Calendar — Microsoft 365"}
    assert any(world.bridge.items(c) for c in calendars)
    # idempotent; the user can neither connect Microsoft 365 nor change or delete this one
    assert world.onboarding.ensure_managed_connection(alex.id) == world.onboarding.status(mine.id)
    with pytest.raises(PolicyRefused):
        world.onboarding.begin_connect(
            "alex", "microsoft365", write=False, contacts=False, redirect_uri=REDIRECT
        )
    with pytest.raises(PolicyRefused):
        world.onboarding.change_permissions(
            "alex", mine.id, write=False, contacts=False, redirect_uri=REDIRECT
        )
    with pytest.raises(PolicyRefused):
        world.onboarding.check_deletable("alex", mine.id)
    assert "Entra ID" in world.bridge.connections.revoke(mine.id).note


def test_admin_setup_explains_bad_application_credentials(world: World) -> None:
    world.bridge.store.create_user("it-admin", "alex@contoso.example", is_admin=True)
    bad = world.bridge.settings.replace("graph", client_secret="wrong")
    world.bridge.connections.settings = bad
    with pytest.raises(ProviderError) as err:
        world.onboarding.enable_app_permissions("it-admin")
    assert "refused the bridge's application credentials" in err.value.message
    assert world.stored() == (0, 0)


# -- enforcement on the DAV path (P1, P5) -------------------------------------------------------
def _event(n: int) -> str:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    fmt = "%Y%m%dT%H%M%SZ"
    end = start + dt.timedelta(hours=1)
    return EVENT.format(n=n, start=start.strftime(fmt), end=end.strftime(fmt))


def test_policy_changed_after_connecting_is_enforced(world: World) -> None:
    status = world.connect("microsoft365")
    bridge, store = world.bridge, world.bridge.store
    cal = next(c for c in store.collections() if c.kind is CollectionKind.CALENDAR)
    book = next(c for c in store.collections() if c.kind is CollectionKind.ADDRESSBOOK)
    bridge.put(cal, "onb-1.ics", _event(1), conditional=False)  # allowed at first
    writes = world.sb.graph.request_count("/v1.0")
    world.set_policy("alex", Policy(allow_write_calendars=False, allow_contacts=False))
    with pytest.raises(PolicyRefused) as err:
        bridge.put(cal, "onb-2.ics", _event(2), conditional=False)
    assert err.value.http_status == 403
    assert err.value.message.startswith("Your administrator allows calendars to be read only")
    with pytest.raises(PolicyRefused):
        bridge.delete(cal, "onb-1.ics", conditional=False)
    assert world.sb.graph.request_count("/v1.0") == writes  # nothing reached Microsoft 365
    assert bridge.collection("alex", book.name) is None  # address books hidden
    assert bridge.collection("alex", cal.name) is not None  # calendars still readable
    assert bridge.engine.refresh(book.id) is None
    shown = world.onboarding.status(status.id)
    assert not shown.permissions["write_calendars"] and not shown.permissions["sync_contacts"]
    assert shown.problem is not None and "read only" in shown.problem
    # P1 off: nothing is served or pulled, and the status says why
    world.set_policy("alex", Policy(enabled=False))
    assert bridge.collection("alex", cal.name) is None
    assert bridge.engine.discover_calendars(status.id) == []
    before = world.sb.requests()
    assert bridge.engine.refresh(cal.id) is None
    assert world.sb.requests() == before
    off = world.onboarding.status(status.id)
    assert off.status == "off" and off.next_sync is None
    assert off.problem is not None and "switched the calendar and contacts integration off" in (
        off.problem
    )


# -- read calendars is a real choice (A1) -------------------------------------------------------
CONTACTS_ONLY_SCOPES = {
    "microsoft365": ("User.Read", "Contacts.Read"),
    "google": ("openid", "email", "https://www.googleapis.com/auth/contacts.readonly"),
}


@pytest.mark.parametrize("service", ["microsoft365", "google"])
def test_contacts_only_consent_asks_for_the_least_scopes_and_calendars_come_later(
    world: World, service: str
) -> None:
    kind = ProviderKind.GRAPH if service == "microsoft365" else ProviderKind.GOOGLE
    url, pending = world.onboarding.begin_connect(
        "alex", service, calendars=False, write=False, contacts=True, redirect_uri=REDIRECT
    )
    assert pending.scopes == CONTACTS_ONLY_SCOPES[service]
    asked = " ".join(parse_qs(urlsplit(url).query)["scope"]).split()
    assert not any("alendar" in s for s in asked), asked  # nothing about calendars is asked
    status = world.onboarding.complete_connect(pending, world.sign_in(url, kind))
    assert status.permissions == {
        "read_calendars": False,
        "write_calendars": False,
        "sync_contacts": True,
    }
    assert status.status == "ok" and status.problem is None
    kinds = {c.kind for c in world.bridge.store.collections(connection_id=status.id)}
    assert kinds == {CollectionKind.ADDRESSBOOK}
    # turning calendars on later is a new consent with the calendar scope added
    answer = world.onboarding.change_permissions(
        "alex", status.id, calendars=True, write=False, contacts=True, redirect_uri=REDIRECT
    )
    assert answer is not None
    url, again = answer
    # task lists come with the calendars (issue 11)
    added = CALENDAR_SCOPES_READ[service]
    assert set(again.scopes) == set(CONTACTS_ONLY_SCOPES[service]) | added
    done = world.onboarding.complete_connect(again, world.sign_in(url, kind))
    assert done.id == status.id and done.permissions["read_calendars"]
    kinds = {c.kind for c in world.bridge.store.collections(connection_id=status.id)}
    assert kinds == {CollectionKind.ADDRESSBOOK, CollectionKind.CALENDAR}


SCOPES_READ_CALENDAR = "https://www.googleapis.com/auth/calendar.readonly"
CALENDAR_SCOPES_READ = {
    "microsoft365": {"Calendars.Read", "Tasks.Read"},
    "google": {SCOPES_READ_CALENDAR, "https://www.googleapis.com/auth/tasks.readonly"},
}
WRITE_WITHOUT_READ = "\u201cWrite calendars\u201d needs \u201cread calendars\u201d"


@pytest.mark.parametrize("how", ["microsoft365", "google", "exchange", "check"])
def test_write_without_read_is_refused_before_anything_is_sent(world: World, how: str) -> None:
    before = world.sb.requests()
    ticks: dict[str, Any] = {"calendars": False, "write": True, "contacts": True}
    with pytest.raises(BadInput) as err:
        if how == "exchange":
            world.connect_exchange(**ticks)
        elif how == "check":
            world.onboarding.check_connect("alex", "exchange", **ticks)
        else:
            world.onboarding.begin_connect("alex", how, redirect_uri=REDIRECT, **ticks)
    assert err.value.http_status == 400 and err.value.message.startswith(WRITE_WITHOUT_READ)
    with pytest.raises(BadInput, match="Tick at least one of"):
        world.onboarding.begin_connect(
            "alex", "google", calendars=False, write=False, contacts=False, redirect_uri=REDIRECT
        )
    assert world.sb.requests() == before
    assert world.stored() == (0, 0)


def test_policy_checks_still_apply_to_a_contacts_only_connection(world: World) -> None:
    world.set_policy("alex", Policy(allow_contacts=False))
    before = world.sb.requests()
    for service in ("microsoft365", "google"):
        with pytest.raises(PolicyRefused) as err:
            world.onboarding.begin_connect(
                "alex", service, calendars=False, write=False, contacts=True, redirect_uri=REDIRECT
            )
        assert err.value.setting == "allow_contacts"
    with pytest.raises(PolicyRefused):
        world.connect_exchange(calendars=False, write=False, contacts=True)
    world.set_policy("alex", Policy(allow_write_calendars=False))  # P5 is checked first
    with pytest.raises(PolicyRefused):
        world.onboarding.check_connect(
            "alex", "exchange", calendars=False, write=True, contacts=True
        )
    assert world.sb.requests() == before
    assert world.stored() == (0, 0)


def test_exchange_contacts_only_then_calendars_turned_on_at_once(world: World) -> None:
    status = world.connect_exchange(calendars=False, write=False, contacts=True)
    assert not status.permissions["read_calendars"] and status.permissions["sync_contacts"]
    kinds = {c.kind for c in world.bridge.store.collections(connection_id=status.id)}
    assert kinds == {CollectionKind.ADDRESSBOOK}
    with pytest.raises(BadInput):  # a crafted change: write without read
        world.onboarding.change_permissions(
            "alex", status.id, calendars=False, write=True, contacts=True, redirect_uri=REDIRECT
        )
    assert not world.onboarding.status(status.id).permissions["write_calendars"]
    assert (
        world.onboarding.change_permissions(
            "alex", status.id, calendars=True, write=False, contacts=True, redirect_uri=REDIRECT
        )
        is None
    )
    now = world.onboarding.status(status.id)
    assert now.permissions["read_calendars"] and not now.permissions["write_calendars"]
    calendars = [
        c
        for c in world.bridge.store.collections(connection_id=status.id)
        if c.kind is CollectionKind.CALENDAR
    ]
    assert calendars and any(world.bridge.items(c) for c in calendars)
