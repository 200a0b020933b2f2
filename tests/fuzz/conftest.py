"""The one demo the fuzz package shares (started once for every fuzz module), and the /health
poller that runs beside it for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import RunningDemo, start_demo, stop_demo
from tests.fuzz.harness import HealthPoller


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    """One demo for the whole fuzz module (the fuzzer must not disturb other tests' data)."""
    # refresh only on demand: requests answer from the mirror without waiting on a pull
    running = start_demo(tmp_path_factory.mktemp("fuzz"), 0, refresh=3600.0)
    yield running
    assert stop_demo(running) == 0, running.log.read_text()


@pytest.fixture(scope="package")
def health(demo: RunningDemo) -> Iterator[HealthPoller]:
    with HealthPoller(demo) as poller:
        yield poller
