"""Private files never tighten a shared sticky directory such as /tmp (a database or data
directory placed straight in it once turned /tmp into 0700 and locked other users out)."""

from __future__ import annotations

import stat
from pathlib import Path

from bridge.files import private_dir, private_file


def test_a_file_in_a_sticky_shared_directory_leaves_that_directory_open(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    private_file(shared / "mirror.db")
    private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE((shared / "mirror.db").stat().st_mode) == 0o600


def test_an_ordinary_loose_directory_of_ours_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    private_file(data / "mirror.db")
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
