"""Load and save the sandbox state as JSON in a state directory (TLS PEMs live beside it).

Writes are atomic and durable (sandbox.atomic: temp file + fsync + rename) so a killed sandbox never leaves half a state file.
This module must not know what the state means; it only (de)serializes SandboxState.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.atomic import write_atomic
from sandbox.state import SandboxState

STATE_FILE = "graph-sandbox.json"


def load(state_dir: Path) -> SandboxState | None:
    path = state_dir / STATE_FILE
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as fh:
        return SandboxState.from_json(json.load(fh))


def save(state_dir: Path, st: SandboxState) -> None:
    data = json.dumps(st.to_json(), separators=(",", ":"))
    write_atomic(state_dir / STATE_FILE, data)
