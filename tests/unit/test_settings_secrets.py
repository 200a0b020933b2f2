"""Configuration loading and secrets at rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import settings
from bridge.errors import ConfigError
from bridge.secrets import SecretBox, hash_password, new_app_password, verify_password


def test_file_and_environment_override(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[server]\nport = 8080\n[sync]\nrefresh_interval_s = 60\n")
    s = settings.load(cfg, {"DAVBRIDGE_SERVER_PORT": "9090"})
    assert s.server.port == 9090 and s.sync.refresh_interval_s == 60.0


def test_unknown_option_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[server]\nprot = 8080\n")
    with pytest.raises(ConfigError, match="server.prot: unknown option"):
        settings.load(cfg, {})


def test_bad_value_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="server.port"):
        settings.load(None, {"DAVBRIDGE_SERVER_PORT": "eighty"})


def test_example_config_loads_back(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(settings.example_toml())
    loaded = settings.load(cfg, {})
    assert loaded.replace("secrets", key_file="") == settings.Settings()
    # from a file, the key sits beside it, not in the data directory it protects
    assert loaded.secrets.key_file == str(tmp_path.resolve() / "secret.key")


def test_configuration_is_discovered_or_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = tmp_path / "given.toml"
    from_env = tmp_path / "env.toml"
    assert settings.discover(str(given), {"DAVBRIDGE_CONFIG": str(from_env)}) == given
    assert settings.discover(None, {"DAVBRIDGE_CONFIG": str(from_env)}) == from_env
    default = tmp_path / "etc" / "davbridge.toml"
    monkeypatch.setattr(settings, "DEFAULT_CONFIG", default)
    with pytest.raises(ConfigError) as missing:
        settings.discover(None, {})
    assert "--config" in missing.value.message and "DAVBRIDGE_CONFIG" in missing.value.message
    assert "davbridge config-example" in missing.value.message
    default.parent.mkdir()
    default.write_text("")
    assert settings.discover(None, {}) == default


def test_configured_key_file_wins(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[secrets]\nkey_file = "{tmp_path / "keys" / "k"}"\n')
    assert settings.load(cfg, {}).secrets.key_file == str(tmp_path / "keys" / "k")


def test_a_key_left_in_the_data_directory_by_earlier_versions_keeps_working(
    tmp_path: Path,
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[store]\ndata_dir = "{tmp_path / "data"}"\n')
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret.key").write_text("old\n")
    assert settings.load(cfg, {}).secrets.key_file == str(tmp_path / "data" / "secret.key")


def test_uncreatable_key_file_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")  # a key "directory" that is a file: even root fails
    with pytest.raises(ConfigError) as err:
        SecretBox.load(tmp_path / "a-file" / "secret.key", env={})
    assert "davbridge new-key" in err.value.message
    assert "DAVBRIDGE_SECRET_KEY" in err.value.message
    assert "Errno" not in err.value.message


def test_shipped_example_matches_schema() -> None:
    shipped = Path(__file__).parents[2] / "config" / "davbridge.example.toml"
    assert shipped.read_text() == settings.example_toml() + "\n"


def test_secret_box_roundtrip_and_key_file_mode(tmp_path: Path) -> None:
    box = SecretBox.load(tmp_path / "k", env={})
    token = box.encrypt("refresh-token-value")
    assert b"refresh-token-value" not in token
    assert SecretBox.load(tmp_path / "k", env={}).decrypt(token) == "refresh-token-value"
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600


def test_wrong_key_cannot_decrypt(tmp_path: Path) -> None:
    token = SecretBox.load(tmp_path / "a", env={}).encrypt("x")
    with pytest.raises(ConfigError):
        SecretBox.load(tmp_path / "b", env={}).decrypt(token)


def test_app_passwords_are_salted_slow_hashes() -> None:
    pw = new_app_password()
    h1, h2 = hash_password(pw), hash_password(pw)
    assert h1 != h2 and pw not in h1
    assert verify_password(pw, h1) and not verify_password(pw + "x", h1)
