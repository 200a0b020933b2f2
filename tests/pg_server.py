"""A throwaway PostgreSQL cluster for the tests (issue 17): Debian's `postgresql` package
(scripts/install-system-deps), `initdb` + `pg_ctl` in a temporary directory, listening on a
Unix socket in that directory only (no TCP port), trust authentication, byte-order collation.

As root (CI, the developers' machines) the server runs as the `postgres` system user, since
PostgreSQL refuses to run as root, in a directory under that user's home. Each pytest-xdist worker starts its own cluster (session
fixture in tests/conftest.py); each test gets a database of its own (`fresh_database`).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

PORT = 5432  # only names the socket file in the cluster's own directory


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found under /usr/lib/postgresql/*/bin or on PATH: "
            "run scripts/install-system-deps (it installs Debian's postgresql package)"
        )
    return path


@dataclass(frozen=True)
class Cluster:
    directory: Path
    data: Path
    as_user: tuple[str, ...]

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.directory}&port={PORT}"

    def stop(self) -> None:
        _run(self.as_user, [_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])
        shutil.rmtree(self.directory, ignore_errors=True)


def _run(as_user: Sequence[str], argv: list[str]) -> None:
    done = subprocess.run([*as_user, *argv], capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited with {done.returncode}:\n"
            + done.stdout.decode(errors="replace")
            + done.stderr.decode(errors="replace")
        )


def start_cluster() -> Cluster:
    """initdb and start a cluster; the caller stops it (Cluster.stop)."""
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        # in the postgres user's home: a temporary directory's parents (/tmp) may not let
        # that user through
        pw = pwd.getpwnam("postgres")
        directory = Path(tempfile.mkdtemp(prefix="davbridge-pg-", dir=pw.pw_dir))
        os.chown(directory, pw.pw_uid, pw.pw_gid)
        as_user = ("runuser", "-u", "postgres", "--")
    else:
        directory = Path(tempfile.mkdtemp(prefix="davbridge-pg-"))
    data = directory / "data"
    _run(
        as_user,
        [_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-locale",
         "-E", "UTF8", "--no-sync"],
    )  # fmt: skip
    options = (
        f"-k {directory} -p {PORT} -c listen_addresses='' -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    _run(
        as_user,
        [_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(directory / "log"),
         "-w", "-t", "60", "start"],
    )  # fmt: skip
    return Cluster(directory, data, as_user)


_numbers = itertools.count(1)


_TEMPLATE = "davbridge_template"
_templated: set[Path] = set()


def fresh_database(cluster: Cluster) -> str:
    """A new database in the cluster with davbridge's schema (copied from a template the
    store migrated once: faster than migrating each); its URL."""
    from bridge.store import Store

    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        if cluster.directory not in _templated:
            conn.execute(f'CREATE DATABASE "{_TEMPLATE}"')
            Store(cluster.url(_TEMPLATE)).close()
            _templated.add(cluster.directory)
        name = f"t{os.getpid()}_{next(_numbers)}"
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_TEMPLATE}"')
    return cluster.url(name)
