"""Run the Graph sandbox alone: `python -m sandbox --state-dir D --port P`.

Prints the SandboxInfo as one JSON line on stdout, then serves until SIGINT/SIGTERM, saving
state on the way out. This module must not contain sandbox behaviour.
"""

from __future__ import annotations

import sys

from sandbox.core.cli import run
from sandbox.server import Sandbox

if __name__ == "__main__":
    sys.exit(run("python -m sandbox", "Microsoft identity + Graph v1.0 sandbox", Sandbox))
