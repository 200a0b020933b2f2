"""`davbridge check` against the provider sandboxes (loopback, TLS with their own CA): what
works is reported ok, and each thing a sysadmin gets wrong is named with what to do."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import check, check_providers, cli, settings
from bridge.check import ERROR, OK, WARNING, Finding
from bridge.demo_sandboxes import SandboxInfos
from bridge.settings import Settings
from sandbox.ews.server import EwsSandbox
from sandbox.google.server import GoogleSandbox
from sandbox.server import Sandbox


@pytest.fixture(scope="module")
def infos() -> Iterator[SandboxInfos]:
    graph, google, ews = Sandbox(None), GoogleSandbox(None), EwsSandbox(None)
    yield SandboxInfos(graph=graph.start(), google=google.start(), ews=ews.start())
    for sb in (graph, google, ews):
        sb.stop()


@pytest.fixture
def configured(infos: SandboxInfos, tmp_path: Path) -> Settings:
    return infos.configure(Settings().replace("store", data_dir=str(tmp_path / "data")))


def of(findings: list[Finding], topic: str) -> list[tuple[str, str]]:
    return [(f.level, f.message) for f in findings if f.topic == topic]


def levels(findings: list[Finding], topic: str) -> set[str]:
    return {level for level, _ in of(findings, topic)}


def test_a_correct_setup_passes(configured: Settings) -> None:
    found = check_providers.providers(configured)
    for topic in ("Microsoft 365", "Google", "Exchange"):
        assert levels(found, topic) == {OK}, of(found, topic)
    messages = " ".join(m for _, m in of(found, "Microsoft 365"))
    assert "accepts its client id and secret" in messages and "clock within" in messages
    assert "accepts its client id and secret" in " ".join(m for _, m in of(found, "Google"))


def test_a_wrong_microsoft_secret_is_named(configured: Settings) -> None:
    found = check_providers.providers(configured.replace("graph", client_secret="not-the-secret"))
    (error,) = [m for level, m in of(found, "Microsoft 365") if level == ERROR]
    assert "client secret is wrong" in error and "Certificates & secrets" in error


def test_an_unknown_microsoft_client_is_named(configured: Settings) -> None:
    found = check_providers.providers(configured.replace("graph", client_id="00000000-dead-beef"))
    (error,) = [m for level, m in of(found, "Microsoft 365") if level == ERROR]
    assert "client id is not registered" in error


def test_an_unknown_google_client_is_named(configured: Settings) -> None:
    found = check_providers.providers(configured.replace("google", client_id="nobody.apps"))
    (error,) = [m for level, m in of(found, "Google") if level == ERROR]
    assert "client_id" in error and "Credentials" in error


def test_unreachable_and_untrusted_endpoints_in_plain_words(configured: Settings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # bound but not listening: refused
        found = check_providers.providers(
            configured.replace(
                "ews", default_url=f"http://127.0.0.1:{closed}/EWS/Exchange.asmx"
            ).replace("google", ca_bundle="")  # the sandbox's own CA is not in the system store
        )
    (ews,) = of(found, "Exchange")
    assert ews[0] == ERROR
    assert ews[1] == (
        f"could not reach http://127.0.0.1:{closed}: connection refused — check the URL and "
        "the firewall"
    )
    (google,) = of(found, "Google")
    assert google[0] == ERROR and "TLS certificate is not accepted" in google[1]
    assert "ca_bundle" in google[1] and "0x" not in google[1] and "Error(" not in google[1]


def test_clock_skew_is_reported(configured: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    real = check_providers._now
    monkeypatch.setattr(check_providers, "_now", lambda: real() + 3600)
    found = check_providers.providers(configured)
    skew = [m for level, m in of(found, "Google") if level == ERROR]
    assert skew and "ahead of" in skew[0] and "NTP" in skew[0], found


def test_exchange_online_is_not_offered_as_working(configured: Settings) -> None:
    found = check_providers.providers(
        configured.replace("ews", default_url="https://outlook.office365.com/EWS/Exchange.asmx")
    )
    ((level, message),) = of(found, "Exchange")
    assert level == WARNING and "April 2027" in message and "Graph" in message


def test_loose_files_a_key_in_the_data_dir_and_busy_ports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "davbridge.sqlite3").write_bytes(b"")
    (data / "davbridge.sqlite3").chmod(0o644)
    (data / "secret.key").write_text("k\n")
    (data / "secret.key").chmod(0o600)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        s = (
            Settings()
            .replace("store", data_dir=str(data))
            .replace("secrets", key_file=str(data / "secret.key"))
            .replace("server", port=busy.getsockname()[1])
            .replace("portal", port=0)
        )
        found = check.cheap(s, None, ports=True)
    files = [m for level, m in of(found, "files") if level == ERROR]
    assert f"chmod 700 {data}" in files[0] and f"chmod 600 {data / 'davbridge.sqlite3'}" in files[1]
    (key_warning,) = [m for level, m in of(found, "encryption key") if level == WARNING]
    assert "move it out" in key_warning and "key_file" in key_warning
    (port,) = [m for level, m in of(found, "ports") if level == ERROR]
    assert "is davbridge already running" in port
    assert levels(found, "providers") == {WARNING}  # nothing but Exchange configured


def test_the_command_prints_findings_and_fails_on_errors(
    infos: SandboxInfos,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    g = infos.graph
    assert g is not None
    conf = tmp_path / "davbridge.toml"
    conf.write_text(
        f'[store]\ndata_dir = "{tmp_path / "data"}"\n[server]\nport = 0\n[portal]\nport = 0\n'
        f'[graph]\nauthority_host = "{g.base_url}"\ntenant = "{g.tenant}"\n'
        f'client_id = "{g.client_id}"\nclient_secret = "wrong"\nca_bundle = "{g.ca_file}"\n'
    )
    monkeypatch.setattr(settings, "DEFAULT_CONFIG", tmp_path / "none.toml")
    assert cli.main(["check", "--config", str(conf)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  Microsoft 365: the client secret is wrong" in out
    assert f"ok    configuration: {conf} is valid" in out
    assert not (tmp_path / "data").exists()  # checking creates nothing


def test_public_urls_are_probed(configured: Settings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
        found = check_providers.reachability(
            configured.replace("server", public_url=f"http://127.0.0.1:{closed}/")
        )
    ((level, message),) = of(found, "public URL")
    assert level == WARNING
    assert f"could not reach http://127.0.0.1:{closed}: connection refused" in message
    assert "is davbridge serve running" in message
