"""`davbridge user …` and `davbridge group …` on a real data directory (cli.main in-process)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bridge import api
from bridge.entry import cli, cli_users
from bridge.errors import AuthFailed, PolicyRefused
from bridge.organisation.administration import Administration
from bridge.settings import Settings
from bridge.store import Store


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "davbridge.toml"
    path.write_text(f'[store]\ndata_dir = "{tmp_path / "data"}"\n')
    return str(path)


@pytest.fixture(autouse=True)
def _uninstall() -> object:
    yield
    api.install(None)


def run(config: str, *argv: str, stdin: str = "", tty: bool = False) -> int:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", io.StringIO(stdin))
        mp.setattr(cli_users, "_interactive", lambda: tty)
        return cli.main([*argv, "--config", config])


def admin_of(tmp_path: Path) -> Administration:
    return Administration(Store(tmp_path / "data" / "davbridge.sqlite3"), Settings())


def test_user_add_without_password_keeps_working(config: str, tmp_path: Path) -> None:
    """As scripts, the e2e tests and the README use it: nothing asked, no portal password."""
    assert run(config, "user", "add", "alex", "--email", "alex@contoso.example") == 0
    assert run(config, "user", "add", "alex") == 1  # exists
    alex = admin_of(tmp_path).user_by_name("alex")
    assert alex is not None and alex.email == "alex@contoso.example"
    assert not alex.has_password and not alex.is_admin


def test_user_add_admin_with_password_from_stdin(config: str, tmp_path: Path) -> None:
    code = run(config, "user", "add", "root", "--admin", "--password-stdin", stdin="s3cret pass!\n")
    assert code == 0
    root = admin_of(tmp_path).check_password("root", "s3cret pass!", "cli-test")
    assert root.is_admin


def test_user_add_prompts_twice_at_a_terminal(
    config: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["typed password", "typed password", "one password", "another one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert run(config, "user", "add", "alex", tty=True) == 0
    admin_of(tmp_path).check_password("alex", "typed password", "c")
    assert run(config, "user", "add", "bob", tty=True) == 2  # the two differ
    assert admin_of(tmp_path).user_by_name("bob") is None


def test_user_passwd(config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(config, "user", "add", "alex")
    assert run(config, "user", "passwd", "alex", "--password-stdin", stdin="short\n") == 2
    assert "at least 10" in capsys.readouterr().err
    assert run(config, "user", "passwd", "alex") == 2  # no terminal, no stdin flag
    assert run(config, "user", "passwd", "alex", "--password-stdin", stdin="long enough pw\n") == 0
    admin_of(tmp_path).check_password("alex", "long enough pw", "c")
    with pytest.raises(AuthFailed):
        admin_of(tmp_path).check_password("alex", "short", "c")
    assert run(config, "user", "passwd", "ghost", "--password-stdin", stdin="long enough pw\n") == 2


def test_user_list(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(config, "user", "add", "root", "--admin", "--password-stdin", stdin="0123456789\n")
    run(config, "user", "add", "alex", "--email", "alex@contoso.example")
    capsys.readouterr()
    assert run(config, "user", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert "alex@contoso.example" in lines[0] and "no password" in lines[0]
    assert "root" in lines[1] and "admin, password" in lines[1]


def test_groups(config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(config, "user", "add", "eve", "--email", "eve@fabrikam.example")
    run(config, "user", "add", "alex", "--email", "alex@contoso.example")
    assert run(config, "group", "add", "Contractors") == 0
    assert (
        run(
            config,
            "group",
            "set",
            "Contractors",
            "allowed_domains=contoso.example,Contoso.Example",
            "allow_write_calendars=no",
            "default_service=google",
        )
        == 0
    )
    assert "allow_write_calendars = no" in capsys.readouterr().out
    assert run(config, "group", "member", "Contractors", "eve") == 0
    admin = admin_of(tmp_path)
    eve = admin.user_by_name("eve")
    alex = admin.user_by_name("alex")
    assert eve is not None and alex is not None
    policy = admin.policy_for(eve.id)
    assert policy.allowed_domains == ("contoso.example",)
    assert policy.default_service == "google" and not policy.allow_write_calendars
    with pytest.raises(PolicyRefused):
        policy.check_domain("eve@fabrikam.example")
    assert admin.policy_for(alex.id).allow_write_calendars  # not a member

    assert run(config, "group", "set", "Contractors", "default_service=inherit") == 0
    assert "default_service" not in admin.groups()[0].overrides
    assert admin.groups()[0].overrides["allow_write_calendars"] is False


@pytest.mark.parametrize(
    "argv",
    [
        ("group", "set", "Contractors", "is_admin=yes"),
        ("group", "set", "Contractors", "allow_contacts=maybe"),
        ("group", "set", "Contractors", "allow_contacts"),
        ("group", "set", "Nobody", "allow_contacts=no"),
        ("group", "member", "Contractors", "ghost"),
        ("group", "add", "Contractors"),
    ],
)
def test_group_mistakes_are_reported(
    config: str, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    run(config, "group", "add", "Contractors")
    capsys.readouterr()
    assert run(config, *argv) == 2
    assert capsys.readouterr().err.startswith("davbridge: ")
