"""A running emulator seen from another process (tests, benchmarks, the demo's users): the
shared control routes of sandbox.core.control over HTTP — how many emulated-API requests it
served, and "save your state now". Reads the `control_url` (and `ca_file` for the https
emulators) of any emulator's Info, or of `davbridge demo --info-json`.

Must not reach into an emulator's memory: a sandbox under `davbridge demo` runs in a process of
its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class Remote:
    control_url: str  # ".../_control"
    ca_file: str | None = None  # the sandbox CA (https emulators); None for plain http (EWS)

    @classmethod
    def of(cls, info: Any) -> Remote:
        """From an Info object (or endpoints with the same attribute names)."""
        return cls(info.control_url, getattr(info, "ca_file", None))

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        verify: bool | str = self.ca_file or True
        r = requests.request(method, self.control_url + path, verify=verify, timeout=60, **kw)
        r.raise_for_status()
        return r.json()

    def request_count(self, prefix: str = "") -> int:
        """Emulated-API requests served so far whose path (EWS: operation) starts with
        `prefix`."""
        return int(self._call("GET", "/requests/count", params={"prefix": prefix})["count"])

    def request_paths(self, since: float = 0.0) -> list[str]:
        """Paths of the emulated-API requests logged at or after `since` (time.time());
        the Graph and Google emulators' request log."""
        return [str(r["path"]) for r in self._call("GET", "/requests", params={"since": since})]

    def operation_counts(self) -> dict[str, int]:
        """EWS operations served so far, by name (the EWS emulator's log)."""
        return {str(k): int(v) for k, v in self._call("GET", "/log")["counts"].items()}

    def save(self) -> None:
        """The emulator's state is on disk when this returns."""
        self._call("POST", "/save")
