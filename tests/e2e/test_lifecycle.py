"""Starting and stopping as a user does: the demo resumes on its data directory, and
`davbridge serve --config` reaches a provider chosen by configuration alone (here the sandbox,
connected with `davbridge connect graph` and a browser-like sign-in)."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.parse
from pathlib import Path

import caldav
import requests

from bridge.demo import sign_in_at
from sandbox.server import Sandbox
from tests.e2e.conftest import davbridge_command, free_port, start_demo, stop_demo


def etags(url: str, auth: tuple[str, str], path: str) -> dict[str, str]:
    body = (
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
    )
    r = requests.request(
        "PROPFIND", url.rstrip("/") + path, data=body, auth=auth, headers={"Depth": "1"}, timeout=30
    )
    assert r.status_code == 207
    out = {}
    for resp in r.text.split("<response>")[1:]:
        href = resp.split("<href>")[1].split("</href>")[0]
        if "<getetag>" in resp:
            out[href] = resp.split("<getetag>")[1].split("</getetag>")[0]
    return out


def test_demo_resumes_on_its_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    first = start_demo(data, free_port())
    try:
        before = etags(first.url, first.auth, "/demo/calendar-m365/")
        assert len(before) > 50
    finally:
        assert stop_demo(first) == 0
    assert "stopping" in first.log.read_text()
    # secrets at rest: the token cache is encrypted, app passwords are hashed, logs are clean
    db = b"".join(p.read_bytes() for p in (data / "bridge").glob("davbridge.sqlite3*"))
    assert b"RefreshToken" not in db and b"AccessToken" not in db
    assert first.auth[1].encode() not in db
    log = first.log.read_text()
    assert "eyJ" not in log and "refresh_token" not in log.lower()

    second = start_demo(data, free_port())
    try:
        assert second.auth == first.auth  # the same app password works again
        after = etags(second.url, second.auth, "/demo/calendar-m365/")
        assert {h.rsplit("/", 1)[1]: e for h, e in after.items()} == {
            h.rsplit("/", 1)[1]: e for h, e in before.items()
        }
        health = requests.get(second.url + "health", auth=second.auth, timeout=10).json()
        assert [c["id"] for c in health["connections"]] == [1, 2, 3]  # no second consent
    finally:
        assert stop_demo(second) == 0


def run_cli(*args: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [*davbridge_command(), *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_serve_with_a_configuration_file(tmp_path: Path) -> None:
    sandbox = Sandbox(None)
    info = sandbox.start()
    config = tmp_path / "davbridge.toml"
    port = free_port()
    config.write_text(f"""
[server]
port = {port}
[store]
data_dir = "{tmp_path / "data"}"
[sync]
refresh_interval_s = 60
[graph]
authority_host = "{info.base_url}"
tenant = "{info.tenant}"
client_id = "{info.client_id}"
client_secret = "{info.client_secret}"
graph_base_url = "{info.graph_base_url}"
ca_bundle = "{info.ca_file}"
""")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = None
    try:
        run_cli("user", "add", "alex", "--email", info.user, "--config", str(config), env=env)
        password = run_cli(
            "app-password", "add", "alex", "--label", "laptop", "--config", str(config), env=env
        ).strip()
        listen = free_port()
        connect = subprocess.Popen(
            [
                *davbridge_command(),
                "connect",
                "graph",
                "alex",
                "--listen-port",
                str(listen),
                "--config",
                str(config),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        assert connect.stdout is not None
        url = ""
        deadline = time.time() + 60
        while not url and time.time() < deadline:
            line = connect.stdout.readline()
            if line.strip().startswith("https://"):
                url = line.strip()
        redirect = f"http://127.0.0.1:{listen}/"
        answer = sign_in_at(url, info.user, info.user_password, redirect, info.ca_file)
        requests.get(redirect + "?" + urllib.parse.urlencode(answer), timeout=30)
        out, _ = connect.communicate(timeout=120)
        assert connect.returncode == 0, out
        assert "calendars and" in out and "mirrored" in out and "items so far)" in out, out

        server = subprocess.Popen(
            [*davbridge_command(), "serve", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        dav = f"http://127.0.0.1:{port}/"
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(dav + "health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        client = caldav.DAVClient(url=dav, username="alex", password=password)
        names = {c.get_display_name() for c in client.principal().get_calendars()}
        assert {"Calendar — Microsoft 365", "Projects — Microsoft 365"} <= names
        r = requests.request(
            "PROPFIND", dav + "alex/", auth=("alex", "wrong"), headers={"Depth": "0"}, timeout=30
        )
        assert r.status_code == 401
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        sandbox.stop()
