"""One emulator's state as a JSON file in its state directory (TLS PEMs live beside it).

Writes are atomic and durable (sandbox.core.atomic: temp file + fsync + rename), so a killed
emulator never leaves half a state file. Shared by the Graph, Google and EWS emulators; each
hands in and gets back plain JSON data. This module must not know what the state means.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.core.atomic import write_atomic


@dataclass(frozen=True)
class StateFile:
    name: str  # "graph-sandbox.json"

    def path(self, state_dir: Path) -> Path:
        return state_dir / self.name

    def load(self, state_dir: Path) -> dict[str, Any] | None:
        """The saved JSON object, or None when nothing was saved yet."""
        path = self.path(state_dir)
        if not path.exists():
            return None
        with path.open(encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
        return data

    def save(self, state_dir: Path, data: dict[str, Any]) -> None:
        write_atomic(self.path(state_dir), json.dumps(data, separators=(",", ":")))
