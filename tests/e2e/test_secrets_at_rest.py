"""Secrets never at rest in plaintext, nor in the log (issue 5 point 7): a full demo flow as
people do it — the admin and a second user signing in to the portal, an app password, Exchange
connected with the form, Microsoft 365 and Google through the real OAuth redirect, DAV, lookup
and phonebook with the app password, mistyped passwords, token refreshes — then, with the demo stopped, every plaintext secret that was in
play is searched for in the demo's log and in every file the bridge wrote.

Secrets searched: app passwords, portal passwords, the EWS password, the provider accounts'
passwords, a mistyped password, every access token, refresh token and authorization code the Graph and Google
sandboxes issued (their test-only `GET /_control/issued`), the OAuth client secrets, the Fernet
key, and every portal session cookie value. Each is looked for as bytes, base64 (standard and
URL-safe, at every byte alignment), URL-encoded and hex.

Not scanned: the key file (it IS the key), the sandboxes' own state dirs (the provider side
holds what it issued), the --info-json file the test asked for (it publishes the demo's
credentials on purpose), and the demo's startup banner in its console output, which prints the
demo user's own app and portal passwords for the person starting it (cut out narrowly: only the
banner's known lines, and only those two secrets may be in it).
"""

from __future__ import annotations

import base64
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from tests.e2e.conftest import RunningDemo, start_demo, stop_demo, wait_for
from tests.e2e.portal_client import (
    PortalUser,
    add_bridge_user,
    add_provider_account,
    collections,
    connect_exchange,
    connect_oauth,
    ctl,
    dav,
    new_app_password,
    sign_in,
)

SANDBOX_DIRS = ("sandbox", "sandbox-google", "sandbox-ews")
BANNER_START = "davbridge demo is running:"
BANNER_END = "Stop with Ctrl+C."


def encodings(secret: bytes) -> dict[str, bytes]:
    """How a secret could sit in a file: raw, URL-encoded, hex, and base64 (standard and
    URL-safe) at each of the three byte alignments inside a longer encoded blob (the encoded
    groups that mix in neighbouring bytes are left out)."""
    text = secret.decode("latin-1")
    found = {
        "raw": secret,
        "url-encoded": urllib.parse.quote(text, safe="").encode(),
        "url-encoded (form)": urllib.parse.quote_plus(text, safe="").encode(),
        "hex": secret.hex().encode(),
    }
    for shift in range(3):
        blob = b"\0" * shift + secret
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            enc = encode(blob)
            start = 4 if shift else 0
            end = len(enc) - (4 if len(blob) % 3 else 0)
            found[f"{name}@{shift}"] = enc[start:end]
    return found


def leaks(secrets: dict[str, str], files: dict[str, bytes]) -> list[str]:
    """`<secret name> as <encoding> in <file>` for every hit (never the secret itself)."""
    hits = []
    for name, secret in secrets.items():
        for how, needle in encodings(secret.encode()).items():
            if len(needle) < 12:
                continue  # too short to mean anything (only for tiny secrets' shifted base64)
            hits += [f"{name} as {how} in {f}" for f, data in files.items() if needle in data]
    return hits


def test_the_scan_finds_what_it_looks_for() -> None:
    """The matcher itself: every encoding, at any offset inside a larger blob, is found."""
    secret = "s3cr3t/value+with=odd&chars-" + uuid.uuid4().hex
    for pad in range(4):
        prefix = b"x" * pad
        blobs = {
            "raw": prefix + secret.encode() + b"tail",
            "b64": base64.b64encode(prefix + secret.encode() + b"tail"),
            "b64url": base64.urlsafe_b64encode(prefix + secret.encode() + b"!"),
            "quoted": b"code=" + urllib.parse.quote(secret, safe="").encode() + b"&x",
            "form": prefix + urllib.parse.quote_plus(secret).encode(),
            "hex": prefix.hex().encode() + secret.encode().hex().encode(),
        }
        for name, blob in blobs.items():
            assert leaks({"s": secret}, {name: blob}), (name, pad)
    assert leaks({"s": secret}, {"other": b"nothing of it here " * 50}) == []


@dataclass
class Flow:
    demo: RunningDemo
    secrets: dict[str, str] = field(default_factory=dict)
    account: str = ""  # a non-secret the flow stored: the Google account of the second user
    live: dict[str, bytes] = field(default_factory=dict)  # the files while the demo ran
    rc: int = -1

    def add(self, name: str, value: str) -> None:
        assert value, f"{name} is empty"
        self.secrets[name] = value


def issued(demo: RunningDemo, side: str) -> dict[str, list[str]]:
    info = demo.info["sandbox" if side == "graph" else "google"]
    found: dict[str, list[str]] = ctl(info["control_url"], info["ca_file"], "GET", "/issued")
    return found


def collect_issued(flow: Flow) -> None:
    for side in ("graph", "google"):
        for kind, values in issued(flow.demo, side).items():
            for i, value in enumerate(values):
                flow.add(f"{side} {kind.rstrip('s')} #{i}", value)


def run_flow(demo: RunningDemo, flow: Flow) -> None:
    info = demo.info
    flow.add("demo app password", info["password"])
    flow.add("demo portal password", info["portal_password"])
    flow.add("EWS password", info["ews"]["password"])
    flow.add("Fernet key", (demo.data_dir / "bridge" / "secret.key").read_text().strip())
    flow.add("Graph inspection client secret", info["sandbox"]["client_secret"])
    flow.add("Google client secret", info["google"]["client_secret"])

    admin = sign_in(demo, "demo", info["portal_password"])
    assert admin.get("/admin").status_code == 200  # the demo user administers the portal

    tag = uuid.uuid4().hex[:6]
    name, portal_password = f"bob{tag}", f"portal-{uuid.uuid4().hex}"
    flow.add("second user's portal password", portal_password)
    add_bridge_user(demo, name, f"{name}@contoso.example", portal_password)
    bob = sign_in(demo, name, portal_password)
    app_password = new_app_password(bob, "Laptop")
    flow.add("second user's app password", app_password)

    connect_exchange(bob, info["ews"])
    flow.account = f"{name}.g@contoso.example"
    for service, account in (
        ("google", flow.account),
        ("microsoft365", f"{name}.m@contoso.example"),
    ):
        password = f"Pw-{uuid.uuid4().hex}"
        flow.add(f"{service} account password", password)
        add_provider_account(demo, service, account, password)
        connect_oauth(bob, demo, service, account, password)

    # DAV with the app password: discovery, a read, and a write through to the provider
    found = collections(demo, name, (name, app_password))
    assert {"Exchange", "Google", "Microsoft 365"} <= {
        c.display_name.rsplit(" — ", 1)[-1] for c in found
    }, found
    google_cal = next(c.path for c in found if c.writable and c.display_name.endswith("Google"))
    uid = f"secret-scan-{tag}"
    put = dav(
        demo,
        "PUT",
        f"{google_cal}{uid}.ics",
        (name, app_password),
        body=_event(uid),
        headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
    )
    assert put.status_code in (201, 204), put.text[:2000]
    assert dav(demo, "PROPFIND", "/demo/", demo.auth, headers={"Depth": "1"}).status_code == 207
    # the phone endpoints with the app password, and a mistyped password at each door
    for path in ("lookup?number=%2B49301234567", "phonebook/yealink.xml"):
        r = requests.get(demo.url + path, auth=(name, app_password), timeout=30)
        assert r.status_code in (200, 404), (path, r.status_code)
    typo = f"typo-{uuid.uuid4().hex}"
    flow.add("a mistyped password", typo)
    assert dav(demo, "PROPFIND", f"/{name}/", (name, typo)).status_code == 401
    stranger = PortalUser(str(info["portal_url"]))
    assert stranger.sign_in(name, typo).status_code in (401, 403)

    # the providers' access tokens expire: the bridge refreshes with its refresh tokens
    before = {side: len(issued(demo, side)["access_tokens"]) for side in ("graph", "google")}
    for side in ("sandbox", "google"):
        ctl(info[side]["control_url"], info[side]["ca_file"], "POST", "/tokens/expire")

    def refreshed() -> bool:
        dav(demo, "PROPFIND", f"/{name}/", (name, app_password), headers={"Depth": "1"})
        return all(
            len(issued(demo, side)["access_tokens"]) > before[side] for side in ("graph", "google")
        )

    wait_for(refreshed, timeout=60, interval=1.0)
    time.sleep(2.5)  # a couple more background refresh rounds with the new tokens

    for browser, who in ((admin, "demo"), (bob, "second user")):
        for i, cookie in enumerate(browser.cookies_seen):
            flow.add(f"{who}'s portal session cookie #{i}", cookie)
    collect_issued(flow)


def _event(uid: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//secrets//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\n"
        "DTEND:20260105T110000Z\r\nSUMMARY:Secret scan\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def without_banner(log: bytes, allowed: list[bytes]) -> bytes:
    """The log with the demo's startup banner cut out; only `allowed` may be inside it."""
    text = log.decode("utf-8", "replace")
    start, end = text.find(BANNER_START), text.find(BANNER_END)
    assert 0 <= start < end, "the demo's banner is not in its output"
    end += len(BANNER_END)
    banner = text[start:end]
    assert banner.count("\n") <= 14, "the cut is wider than the banner"
    scrubbed = banner
    for secret in allowed:
        scrubbed = scrubbed.replace(secret.decode(), "")
    return (text[:start] + scrubbed + text[end:]).encode()


def bridge_files(demo: RunningDemo) -> dict[str, bytes]:
    """Every file the demo wrote, but the key file, the sandboxes' and the test's own."""
    root = demo.data_dir
    skip = {root / "bridge" / "secret.key", root / "info.json", demo.log}
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or path in skip or rel.parts[0] in SANDBOX_DIRS:
            continue
        files[str(rel)] = path.read_bytes()
    return files


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    demo = start_demo(tmp_path_factory.mktemp("secrets"), 0, refresh=1.0)
    result = Flow(demo)
    try:
        run_flow(demo, result)
        result.live = bridge_files(demo)  # incl. SQLite's -wal before the shutdown checkpoint
    finally:
        result.rc = stop_demo(demo)
    yield result


def test_the_flow_put_every_kind_of_secret_in_play(flow: Flow) -> None:
    names = list(flow.secrets)
    for kind in ("access_token", "refresh_token", "code", "client_secret"):
        for side in ("graph", "google"):
            assert any(n.startswith(f"{side} {kind} #") for n in names), (side, kind)
    # demo + second user: Graph (demo, second user, app-only inspection) and Google (demo,
    # second user, inspection grant) refresh tokens; codes of each interactive consent
    assert sum(n.startswith("graph refresh_token") for n in names) >= 2
    assert sum(n.startswith("google refresh_token") for n in names) >= 3
    assert sum(n.startswith("google code") for n in names) >= 2
    assert sum(n.startswith("graph code") for n in names) >= 2
    assert sum("session cookie" in n for n in names) >= 2
    assert len(flow.secrets) >= 25, names
    assert all(len(v) >= 16 for v in flow.secrets.values()), "a secret too short to search for"
    assert flow.rc == 0, flow.demo.log.read_text()[-3000:]


def test_no_secret_is_in_the_bridge_data_or_its_log(flow: Flow) -> None:
    demo = flow.demo
    files = bridge_files(demo)
    assert any(name.startswith("bridge/davbridge.sqlite3") for name in files), sorted(files)
    own = [
        flow.secrets["demo app password"].encode(),
        flow.secrets["demo portal password"].encode(),
    ]
    files["demo log"] = without_banner(demo.log.read_bytes(), own)
    hits = leaks(flow.secrets, files)
    hits += [f"{hit} (while running)" for hit in leaks(flow.secrets, flow.live)]
    assert hits == [], "plaintext secrets found:\n" + "\n".join(hits)


def test_the_scan_sees_the_flow_it_searched(flow: Flow) -> None:
    """Non-secrets of the same flow are found where they were written, so a clean scan means
    the secrets are really absent, not that the files were empty or unreadable."""
    files = {**bridge_files(flow.demo), **{f"{k} (live)": v for k, v in flow.live.items()}}
    database = b"".join(v for k, v in files.items() if k.startswith("bridge/davbridge.sqlite3"))
    assert flow.account.encode() in database  # the second user's Google account
    assert b"Laptop" in database  # the app password's label
    log = flow.demo.log.read_bytes()
    assert b"portal listening on" in log and b"pulled collection" in log


def test_everything_the_demo_wrote_is_owner_only(flow: Flow) -> None:
    """Directories 0700 and files 0600: the mirror and its -wal/-shm, the key, the demo's
    passwords, the sandboxes' state (the log is the test harness's own file)."""
    root = flow.demo.data_dir
    loose = [
        f"{path.relative_to(root)} {oct(path.stat().st_mode & 0o777)}"
        for path in [root, *root.rglob("*")]
        if path != flow.demo.log and path.stat().st_mode & 0o077
    ]
    assert loose == []
    assert (root / "bridge" / "secret.key").exists()  # the demo keeps its key in its data dir
