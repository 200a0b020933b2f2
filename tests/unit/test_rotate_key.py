"""`davbridge rotate-key`: every stored secret is re-encrypted under a new key, and the key
file never lacks a key a stored secret needs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import api
from bridge.api import Bridge
from bridge.entry import cli
from bridge.errors import ConfigError
from bridge.secrets import SecretBox, read_key_file
from bridge.settings import Settings


@pytest.fixture(autouse=True)
def _uninstall() -> Iterator[None]:
    yield
    api.install(None)  # the CLI installs its bridge process-wide


def make_bridge(data: Path) -> Bridge:
    return Bridge(Settings().replace("store", data_dir=str(data)))


def seed(data: Path) -> list[bytes]:
    """Two connections and a demo password encrypted under the first key; its key list."""
    bridge = make_bridge(data)
    user = bridge.ensure_user("alex")
    for n, provider in enumerate(("graph", "ews")):
        secret = bridge.box.encrypt(json.dumps({"token": f"secret-{n}"}))
        bridge.store.create_connection(user.id, provider, f"a{n}@x.example", "{}", secret)
    (data.parent / "demo-password.enc").write_bytes(bridge.box.encrypt("demo-pass"))
    bridge.close()
    return read_key_file(data / "secret.key")


def plaintexts(data: Path, box: SecretBox) -> list[str]:
    bridge = make_bridge(data)
    try:
        found = [box.decrypt(c.secret) for c in bridge.store.connections() if c.secret]
        found.append(box.decrypt((data.parent / "demo-password.enc").read_bytes()))
        return found
    finally:
        bridge.close()


def test_after_rotation_the_new_key_alone_decrypts_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAVBRIDGE_SECRET_KEY", raising=False)
    data = tmp_path / "bridge"
    old = seed(data)
    bridge = make_bridge(data)
    assert bridge.rotate_key() == 3
    bridge.close()
    keys = read_key_file(data / "secret.key")
    assert keys[1:] == old and keys[0] not in old  # new first, the old one after
    expected = ['{"token": "secret-0"}', '{"token": "secret-1"}', "demo-pass"]
    assert plaintexts(data, SecretBox(keys[:1])) == expected
    with pytest.raises(ConfigError):
        plaintexts(data, SecretBox(old))
    assert (data / "secret.key").stat().st_mode & 0o077 == 0


def test_cli_rotation_can_drop_the_old_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DAVBRIDGE_SECRET_KEY", raising=False)
    data = tmp_path / "bridge"
    old = seed(data)
    config = tmp_path / "davbridge.toml"
    config.write_text(f'[store]\ndata_dir = "{data}"\n')
    assert cli.main(["rotate-key", "--config", str(config), "--drop-old"]) == 0
    assert "3 secrets re-encrypted" in capsys.readouterr().out
    keys = read_key_file(data / "secret.key")
    assert len(keys) == 1 and keys[0] not in old
    assert len(plaintexts(data, SecretBox(keys))) == 3


def test_with_the_key_in_the_environment_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bridge"
    old = seed(data)
    monkeypatch.setenv("DAVBRIDGE_SECRET_KEY", old[0].decode())
    config = tmp_path / "davbridge.toml"
    config.write_text(f'[store]\ndata_dir = "{data}"\n')
    assert cli.main(["rotate-key", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "DAVBRIDGE_SECRET_KEY=" in out and "--reencrypt" in out
    assert read_key_file(data / "secret.key") == old
    assert len(plaintexts(data, SecretBox(old))) == 3
    # step 2 of the printed instructions: the new key first in the environment
    new = out.split("DAVBRIDGE_SECRET_KEY=")[1].split(",")[0]
    monkeypatch.setenv("DAVBRIDGE_SECRET_KEY", f"{new},{old[0].decode()}")
    assert cli.main(["rotate-key", "--config", str(config), "--reencrypt"]) == 0
    assert len(plaintexts(data, SecretBox([new.encode()]))) == 3
