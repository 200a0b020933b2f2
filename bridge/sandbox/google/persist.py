"""Load and save the Google sandbox state as JSON in a state directory (TLS PEMs live beside it).

Atomic writes (temp file + rename), so a killed sandbox never leaves half a state file.
This module must not know what the state means; it only (de)serializes GoogleState.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from bridge.sandbox.google.state import GoogleState

STATE_FILE = "google-sandbox.json"


def load(state_dir: Path) -> GoogleState | None:
    path = state_dir / STATE_FILE
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as fh:
        return GoogleState.from_json(json.load(fh))


def save(state_dir: Path, st: GoogleState) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    data = json.dumps(st.to_json(), separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(prefix=".google-sandbox-", dir=state_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, state_dir / STATE_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
