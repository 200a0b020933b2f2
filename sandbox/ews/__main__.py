"""Run the EWS sandbox alone: `python -m sandbox.ews --state-dir D --port P`.

Prints the EwsSandboxInfo as one JSON line on stdout, then serves until SIGINT/SIGTERM, saving
state on the way out. This module must not contain sandbox behaviour.
"""

from __future__ import annotations

import sys

from sandbox.core.cli import run
from sandbox.ews.server import EwsSandbox

if __name__ == "__main__":
    sys.exit(run("python -m sandbox.ews", "Exchange Web Services sandbox", EwsSandbox))
