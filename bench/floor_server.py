"""The physical floor of the serving benchmark: the bridge's own response bodies, recorded
byte for byte (compressed as the bridge sent them), served from memory by the same HTTP
server (waitress, with the bridge's settings) in a process of its own.

Run: python bench/floor_server.py DIR  — DIR holds `<operation>.body` + `<operation>.json`
(status line and headers) recorded by bench/dav_client.py's capture job, for the operations
propfind, multiget, sync-initial and sync. Prints the URL on stdout once listening.
Which body answers a request: PROPFIND → propfind; REPORT with calendar-multiget →
multiget; REPORT sync-collection with an empty token → sync-initial, otherwise sync.
Must not compute anything per request beyond that choice: it is the floor.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from waitress.server import create_server

Answer = tuple[str, list[tuple[str, str]], bytes]


def load(folder: Path) -> dict[str, Answer]:
    answers = {}
    for meta in folder.glob("*.json"):
        head = json.loads(meta.read_text())
        body = meta.with_suffix(".body").read_bytes()
        skip = {"content-length", "connection", "transfer-encoding", "keep-alive", "date", "server"}
        headers = [(k, v) for k, v in head["headers"] if k.lower() not in skip]
        headers.append(("Content-Length", str(len(body))))
        answers[meta.stem] = (head["status"], headers, body)
    return answers


def application(answers: dict[str, Answer]) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = environ["wsgi.input"].read(length) if length else b""
        if environ["REQUEST_METHOD"] == "PROPFIND":
            name = "propfind"
        elif b"calendar-multiget" in request:
            name = "multiget"
        elif b"<d:sync-token></d:sync-token>" in request:
            name = "sync-initial"
        else:
            name = "sync"
        status, headers, body = answers[name]
        start_response(status, headers)
        return [body]

    return app


class FloorServer:
    """bench/floor_server.py on the bridge's recorded bodies."""

    def __init__(self, folder: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, str(folder)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        try:
            self.url = self.proc.stdout.readline().strip()
            if not self.url:
                raise RuntimeError("the floor server did not start")
        except BaseException:  # also SystemExit from SIGTERM (bench/on_term.py)
            self.stop()
            raise

    def peak_rss_kib(self) -> int | None:
        try:
            with open(f"/proc/{self.proc.pid}/status") as fh:
                return next(int(x.split()[1]) for x in fh if x.startswith("VmHWM:"))
        except (OSError, StopIteration):
            return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def main(argv: list[str]) -> int:
    answers = load(Path(argv[0]))
    server = create_server(  # the bridge's waitress settings (bridge/entry/serve.py)
        application(answers),
        host="127.0.0.1",
        port=0,
        threads=8,
        ident="davbridge",
        channel_timeout=120,
        outbuf_overflow=64 * 1024 * 1024,
        outbuf_high_watermark=4 * 1024 * 1024,
        inbuf_overflow=16 * 1024 * 1024,
    )
    print(f"http://127.0.0.1:{server.getsockname()[1]}/", flush=True)  # type: ignore[union-attr]
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
