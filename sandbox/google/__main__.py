"""Run the Google sandbox alone: `python -m sandbox.google --state-dir D --port P`.

Prints the GoogleSandboxInfo as one JSON line on stdout, then serves until SIGINT/SIGTERM,
saving state on the way out. This module must not contain sandbox behaviour.
"""

from __future__ import annotations

import sys

from sandbox.core.cli import run
from sandbox.google.server import GoogleSandbox

if __name__ == "__main__":
    sys.exit(
        run(
            "python -m sandbox.google",
            "Google OAuth 2.0 + Calendar v3 + People v1 sandbox",
            GoogleSandbox,
        )
    )
