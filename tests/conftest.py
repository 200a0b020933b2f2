"""How the suite splits across pytest-xdist workers (`-n auto --dist loadscope`, README).

With `--dist loadscope`, a scope runs whole on one worker; the scope is refined here:
- a package whose fixtures are package-scoped and costly (one demo, one browser) is one scope,
  so that demo starts once, not once per worker;
- any other module is its own scope, so its module-scoped demo starts once.
(`xdist_group` marks cannot do this: pytest 9.2 ignores the node-id suffix xdist 3.8 sets.)
Workers share nothing else: each has its own temporary directory (tmp_path_factory), demos bind
DAV on a port the system picks, and sandboxes listen on port 0.
"""

from __future__ import annotations

from typing import Any

import pytest

# packages that share one expensive fixture across their modules
SHARED_PACKAGES = ("browser", "portal", "fuzz")


def scope_of(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    if len(parts) > 2 and parts[0] == "tests" and parts[1] in SHARED_PACKAGES:
        return "/".join(parts[:2])
    return path


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """loadscope with the scopes above; any other --dist mode is xdist's own."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PackageScopeScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return PackageScopeScheduling(config, log)


@pytest.fixture(scope="session")
def pg_cluster() -> Any:
    """A PostgreSQL cluster of this worker's own (tests/pg_server.py), stopped at the end."""
    from tests.pg_server import start_cluster

    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """Where a store under test lives: a SQLite file, or a new database on PostgreSQL."""
    if request.param == "sqlite":
        return tmp_path / "db.sqlite3"
    from tests.pg_server import fresh_database

    return fresh_database(request.getfixturevalue("pg_cluster"))


@pytest.fixture
def pg_stores(pg_cluster: Any) -> Any:
    """Two stores on one new PostgreSQL database: two bridge processes' views of it."""
    from bridge.store import Store
    from tests.pg_server import fresh_database

    url = fresh_database(pg_cluster)
    a, b = Store(url), Store(url)
    yield a, b
    a.close()
    b.close()
