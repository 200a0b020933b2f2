"""`davbridge policy show|set` on a real data directory: the organisation directory (K5) is
switched by the operator as on the portal's admin page, and bad input changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_cli_users import _uninstall, admin_of, config, run  # noqa: F401


def test_policy_set_turns_the_directory_on_and_show_says_so(
    config: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(config, "policy", "show") == 0
    assert "directory = no" in capsys.readouterr().out
    assert run(config, "policy", "set", "directory=yes", "allow_contacts=yes") == 0
    assert admin_of(tmp_path).org_policy().directory is True
    assert run(config, "policy", "show") == 0
    assert "directory = yes" in capsys.readouterr().out
    assert run(config, "policy", "set", "directory=maybe") != 0
    assert run(config, "policy", "set", "no_such_thing=1") != 0
    assert admin_of(tmp_path).org_policy().directory is True  # nothing changed
