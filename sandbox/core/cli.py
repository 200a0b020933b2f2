"""Running one sandbox alone from the command line (`python -m sandbox…`): parse the
common options, start it, print its info as one JSON line, serve until SIGINT/SIGTERM, save.

Must not contain sandbox behaviour.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run(
    prog: str, description: str, factory: Callable[..., Any], argv: list[str] | None = None
) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="persist state here (default: in memory)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: saved port or any free port")
    parser.add_argument("--no-seed", action="store_true", help="start with empty data")
    parser.add_argument(
        "--bulk-events", type=int, default=0, help="seed one calendar with N events (benchmarks)"
    )
    args = parser.parse_args(argv)
    sandbox = factory(
        args.state_dir,
        host=args.host,
        port=args.port,
        seed=not args.no_seed,
        bulk_events=args.bulk_events,
    )
    info = sandbox.start()
    data = info.to_json() if hasattr(info, "to_json") else dataclasses.asdict(info)
    print(json.dumps(data), flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    sandbox.stop()
    return 0
