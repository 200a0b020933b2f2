"""How the suite splits across pytest-xdist workers (`-n 2 --dist loadgroup`, README).

Every test gets an `xdist_group`, so a group runs whole on one worker:
- a package whose fixtures are package- or session-scoped and costly (one demo, one browser)
  is one group, so that demo starts once, not once per worker;
- any other module is its own group, so its module-scoped demo starts once.
Workers share nothing else: each has its own temporary directory (tmp_path_factory), demos bind
DAV on a port the system picks, and sandboxes listen on port 0.
"""

from __future__ import annotations

import pytest

# packages that share one expensive fixture across their modules
SHARED_PACKAGES = ("browser", "portal", "fuzz")


def group_of(item: pytest.Item) -> str:
    parts = item.nodeid.split("::", 1)[0].split("/")
    if len(parts) > 2 and parts[1] in SHARED_PACKAGES:
        return parts[1]
    return "/".join(parts)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not any(m.name == "xdist_group" for m in item.iter_markers()):
            item.add_marker(pytest.mark.xdist_group(group_of(item)))
