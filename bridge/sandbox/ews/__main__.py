"""Run the EWS sandbox standalone: `python -m bridge.sandbox.ews [--state-dir D] [--port P]`.

Prints the endpoint, credentials and control URL, then serves until interrupted (state is saved
on exit when a state dir is given). This module must not contain EWS behaviour.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from bridge.sandbox.ews.server import EwsSandbox


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bridge.sandbox.ews")
    parser.add_argument("--state-dir", type=Path, default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bulk-events", type=int, default=0)
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()
    sb = EwsSandbox(
        args.state_dir, args.host, args.port, seed=not args.no_seed, bulk_events=args.bulk_events
    )
    info = sb.start()
    print(f"EWS endpoint: {info.ews_url}")
    print(f"user: {info.username} (or {info.upn})  password: {info.password}")
    print(f"control: {info.control_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()


if __name__ == "__main__":
    main()
