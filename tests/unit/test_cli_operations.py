"""The command line as a sysadmin meets it: where the configuration comes from, what it creates
(owner-only files; the key outside the data directory), help for everything, `--version`."""

from __future__ import annotations

import argparse
import io
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import __version__, api, settings
from bridge.entry import cli
from bridge.files import private_file


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv("DAVBRIDGE_CONFIG", raising=False)
    monkeypatch.delenv("DAVBRIDGE_SECRET_KEY", raising=False)
    monkeypatch.setattr(settings, "DEFAULT_CONFIG", tmp_path / "etc" / "davbridge.toml")
    monkeypatch.chdir(tmp_path)
    yield
    api.install(None)


def config_in(tmp_path: Path) -> Path:
    conf = tmp_path / "conf" / "davbridge.toml"
    conf.parent.mkdir()
    conf.write_text(f'[store]\ndata_dir = "{tmp_path / "data"}"\n')
    return conf


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_without_a_configuration_the_error_says_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["user", "list"]) == 2
    err = capsys.readouterr().err
    assert "--config" in err and "DAVBRIDGE_CONFIG" in err and "config-example" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created anywhere


def test_listing_on_a_missing_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = config_in(tmp_path)
    assert cli.main(["user", "list", "--config", str(conf)]) == 2
    err = capsys.readouterr().err
    assert "no database" in err and str(conf) in err and "Nothing was created" in err
    assert not (tmp_path / "data").exists()
    assert not (conf.parent / "secret.key").exists()


def test_configuration_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = config_in(tmp_path)
    monkeypatch.setenv("DAVBRIDGE_CONFIG", str(conf))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["user", "add", "alex"]) == 0
    assert f"creating the database {tmp_path / 'data'}" in capsys.readouterr().err
    assert (tmp_path / "data" / "davbridge.sqlite3").exists()


def test_everything_written_is_owner_only_and_the_key_is_outside_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = config_in(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["user", "add", "alex", "--config", str(conf)]) == 0
    assert cli.main(["app-password", "add", "alex", "--config", str(conf)]) == 0
    data = tmp_path / "data"
    key = conf.parent / "secret.key"
    assert key.exists() and not (data / "secret.key").exists()
    assert mode(key) == 0o600
    assert mode(data) == 0o700
    written = list(data.iterdir())
    assert {p.name for p in written} >= {"davbridge.sqlite3"}
    assert all(mode(p) == 0o600 for p in written), {p.name: oct(mode(p)) for p in written}


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "d" / "x.sqlite3"
    db.parent.mkdir(mode=0o755)
    db.write_text("")
    db.chmod(0o644)
    private_file(db)
    assert mode(db) == 0o600 and mode(db.parent) == 0o700


def _actions(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", argparse.Action([name], name, help=helps.get(name))
                yield from _actions(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_command_option_and_argument_has_help() -> None:
    missing = [
        f"{where}: {action.option_strings or action.dest}"
        for where, action in _actions(cli.parser(), "davbridge")
        if not action.help
    ]
    assert missing == []


def test_top_level_help_speaks_to_users_and_version_answers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert "davbridge demo" in text and "davbridge check" in text
    assert "composition root" not in text and "bridge.api" not in text
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.strip() == f"davbridge {__version__}"


def test_new_key_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    from bridge.secrets import SecretBox

    assert cli.main(["new-key"]) == 0
    key = capsys.readouterr().out.strip().encode()
    assert SecretBox([key]).decrypt(SecretBox([key]).encrypt("x")) == "x"
