"""The messages a provider sandbox would send for meetings (invitations, replies,
cancellations), recorded for tests and never delivered anywhere, and the control API that
serves them:

  GET    /_control/messages[?to=&from=&uid=&method=]   [{provider, method, from, to, uid, ...}]
  DELETE /_control/messages, POST /_control/messages/clear   forget what was recorded

Each sandbox application (Graph, Google, EWS) keeps its own log under `MESSAGES_KEY`; the
emulators append to it where the vendor documents that a message is sent. This module must not
decide when a message is sent.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class Message:
    provider: str  # graph | google | ews
    method: str  # iTIP method the provider's mail carries: REQUEST | REPLY | CANCEL
    sender: str
    recipient: str
    uid: str
    subject: str
    partstat: str = ""  # REPLY: the provider's response word (accepted, declined, ...)
    occurrence: str = ""  # a reply or change for one occurrence: its original start, UTC
    comment: str = ""


class MessageLog:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    def append(self, message: Message) -> None:
        self.sent.append(message)
        if len(self.sent) > 10000:
            del self.sent[:1000]


MESSAGES_KEY = web.AppKey("messages", MessageLog)


def log_of(app: web.Application) -> MessageLog:
    if MESSAGES_KEY not in app:
        app[MESSAGES_KEY] = MessageLog()
    return app[MESSAGES_KEY]


def as_json(m: Message) -> dict[str, str]:
    out = dataclasses.asdict(m)
    out["from"], out["to"] = out.pop("sender"), out.pop("recipient")
    return out


async def messages(request: web.Request) -> web.Response:
    log = log_of(request.app)
    if request.method in ("DELETE", "POST"):
        log.sent.clear()
        return web.Response(status=204)
    wanted = {
        k: v.lower() for k, v in request.query.items() if k in ("to", "from", "uid", "method")
    }
    rows = [as_json(m) for m in log.sent]
    rows = [r for r in rows if all(str(r[k]).lower() == v for k, v in wanted.items())]
    return web.json_response(rows)


def add_routes(app: web.Application) -> None:
    log_of(app)
    app.router.add_route("GET", "/_control/messages", messages)
    app.router.add_route("DELETE", "/_control/messages", messages)
    app.router.add_route("POST", "/_control/messages/clear", messages)
