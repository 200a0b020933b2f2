"""Run the Google sandbox alone: `python -m bridge.sandbox.google --state-dir D --port P`.

Prints the GoogleSandboxInfo as one JSON line on stdout, then serves until SIGINT/SIGTERM, saving
state on the way out. This module must not contain sandbox behaviour.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from bridge.sandbox.google.server import GoogleSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bridge.sandbox.google", description="Google OAuth 2.0 + Calendar v3 sandbox"
    )
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="persist state here (default: in memory)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: saved port or any free port")
    parser.add_argument("--no-seed", action="store_true", help="start with empty calendars")
    parser.add_argument(
        "--bulk-events", type=int, default=0, help="seed one calendar with N events (benchmarks)"
    )
    args = parser.parse_args(argv)
    sandbox = GoogleSandbox(
        args.state_dir,
        host=args.host,
        port=args.port,
        seed=not args.no_seed,
        bulk_events=args.bulk_events,
    )
    info = sandbox.start()
    print(json.dumps(info.to_json()), flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
