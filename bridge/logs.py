"""Structured logging (R3): one JSON object per line, or plain text.

Third-party loggers that may print tokens at DEBUG (msal, urllib3, requests-oauthlib) are
kept at WARNING, and any value that looks like a bearer token, password or code in a message
is masked. Must not import anything of the bridge.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time

_SECRETISH = re.compile(
    r"(?i)(bearer\s+|access_token[\"'=:\s]+|refresh_token[\"'=:\s]+|password[\"'=:\s]+|"
    r"client_secret[\"'=:\s]+|code=|zak=)([A-Za-z0-9._~+/=-]{6,})"
)


def mask(text: str) -> str:
    return _SECRETISH.sub(lambda m: m.group(1) + "***", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask(record.getMessage()),
        }
        if record.exc_info:
            data["exc"] = mask(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def setup(level: str = "INFO", fmt: str = "json", stream: object = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in (
        "msal",
        "urllib3",
        "requests_oauthlib",
        "radicale",
        "waitress",
        "googleapiclient",
        "exchangelib",
        "aiohttp.access",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
