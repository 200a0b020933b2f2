"""The EWS service: dispatch of SOAP operations, fault injection, request counts and log.

One `EwsService` serves one mailbox (`Store`) under one lock; `handle(body)` returns the HTTP
status and response bytes. Unknown operations answer a SOAP fault `ErrorInvalidRequest`
(web-service-reference "ResponseCode"); injected faults answer `ErrorServerBusy` as a SOAP fault
with `BackOffMilliseconds` (page "EWS throttling in Exchange"), other codes as response messages;
a slow-answer rule (`delay_ms`) lets the operation take effect and holds the reply, as a busy
server does when a client's timeout expires before the answer arrives.
This module must not do HTTP or authentication (server.py, auth.py do).
"""

from __future__ import annotations

import datetime as dt
import threading
import xml.etree.ElementTree as ET
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.ews import delivery, itemxml, mime
from sandbox.ews.soap import (
    EwsError,
    EwsFault,
    Request,
    ServerVersion,
    error,
    fault,
    local,
    parse_request,
    response_envelope,
    serialize,
    t,
)
from sandbox.ews.store import CalItem, Folder, Store, looks_like_id, parse_occurrence_id

Handler = Callable[["EwsService", Request], ET.Element]
LOG_LIMIT = 50_000


@dataclass
class FaultRule:
    operation: str  # SOAP operation name or "*"
    code: str = "ErrorServerBusy"
    back_off_ms: int | None = 200
    times: int = 1
    skip: int = 0
    delay_ms: int = 0  # > 0: a slow answer, not a failure — the operation runs, the reply waits


class EwsService:
    def __init__(
        self,
        store: Store,
        owner_name: str,
        owner_email: str,
        now: Callable[[], dt.datetime] | None = None,
        version: ServerVersion | None = None,
    ) -> None:
        self.store = store
        self.owner_name = owner_name
        self.owner_email = owner_email
        self.now = now or (lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
        self.version = version or ServerVersion()
        self.lock = threading.RLock()
        self.counts: Counter[str] = Counter()
        self.faults: list[FaultRule] = []
        # the latest requests only (as the Graph and Google sandboxes keep): a long-running
        # demo must not grow without bound
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self.handlers: dict[str, Handler] = {}
        from sandbox.ews import (
            ops_directory,  # K5: ResolveNames against the GAL (branch views)
            ops_folder_update,
            ops_folders,
            ops_items,
            ops_misc,
            ops_scheduling,
            ops_sync,
            ops_write,
        )

        for module in (
            ops_folders,
            ops_folder_update,
            ops_items,
            ops_write,
            ops_sync,
            ops_misc,
            ops_directory,
            ops_scheduling,
        ):
            self.handlers.update(module.HANDLERS)

    # ---- entry point ----------------------------------------------------------------------
    def handle(self, data: bytes, user: str = "") -> tuple[int, bytes]:
        status, payload, _ = self.handle_timed(data, user)
        return status, payload

    def handle_timed(self, data: bytes, user: str = "") -> tuple[int, bytes, float]:
        """Like handle, plus how long an injected slow-answer rule wants the reply held (the
        caller waits outside the mailbox lock, after the operation took effect)."""
        with self.lock:
            status, payload = self._handle(data, user)
            operation = self.log[-1]["operation"] if self.log else "?"
            slow = self._slow(operation)
        delivery.run_queued(self)  # meeting messages to other mailboxes, outside this lock
        return status, payload, slow

    def _slow(self, operation: str) -> float:
        for rule in self.faults:
            if rule.delay_ms <= 0 or rule.operation not in (operation, "*") or rule.times <= 0:
                continue
            if rule.skip > 0:
                rule.skip -= 1
                return 0.0
            rule.times -= 1
            return rule.delay_ms / 1000.0
        return 0.0

    def _handle(self, data: bytes, user: str) -> tuple[int, bytes]:
        try:
            req = parse_request(data)
        except EwsFault as exc:
            self.log.append({"operation": "?", "status": 500, "code": exc.code})
            return 500, fault(exc, self.version)
        self.counts[req.operation] += 1
        try:
            self._injected(req.operation)
            handler = self.handlers.get(req.operation)
            if handler is None:
                raise EwsFault(
                    "ErrorInvalidRequest",
                    f"The request is invalid: operation {req.operation} is not supported.",
                )
            env = handler(self, req)
        except EwsFault as exc:
            self.log.append({"operation": req.operation, "status": 500, "code": exc.code})
            return 500, fault(exc, self.version)
        except EwsError as exc:  # a whole-request error answered in one message
            env, msgs = response_envelope(req.operation, self.version, req.requested_version)
            error(msgs, req.operation, exc)
        except Exception as exc:  # a sandbox bug: answer like Exchange, keep it in the log
            self.log.append(
                {
                    "operation": req.operation,
                    "status": 500,
                    "code": "ErrorInternalServerError",
                    "bug": repr(exc),
                }
            )
            err = EwsFault(
                "ErrorInternalServerError", f"An internal server error occurred: {exc!r}"
            )
            return 500, fault(err, self.version)
        self.log.append({"operation": req.operation, "status": 200, "user": user})
        return 200, serialize(env)

    def _injected(self, operation: str) -> None:
        for rule in self.faults:
            if rule.delay_ms > 0 or rule.operation not in (operation, "*") or rule.times <= 0:
                continue
            if rule.skip > 0:
                rule.skip -= 1
                return
            rule.times -= 1
            text = "The server cannot service this request right now. Try again later."
            if rule.code == "ErrorServerBusy":
                raise EwsFault(rule.code, text, rule.back_off_ms)
            raise EwsError(rule.code, f"Injected {rule.code}", rule.back_off_ms)

    # ---- shared lookups -------------------------------------------------------------------
    def envelope(self, req: Request) -> tuple[ET.Element, ET.Element]:
        return response_envelope(req.operation, self.version, req.requested_version)

    def folder_of(self, elem: ET.Element) -> Folder:
        """A FolderId / DistinguishedFolderId element -> Folder (ErrorFolderNotFound)."""
        name = local(elem)
        if name == "DistinguishedFolderId":
            mbox = elem.findtext(f"{t('Mailbox')}/{t('EmailAddress')}")
            other = bool(mbox) and str(mbox).strip().lower() != self.owner_email.lower()
            # another mailbox's folder, opened with delegate access (sandbox.ews.delegates)
            folder = self.store.distinguished(
                elem.get("Id", ""), str(mbox).strip() if other else ""
            )
            if other and folder is None:
                opened = any(
                    f.mailbox.lower() == str(mbox).strip().lower()
                    for f in self.store.folders.values()
                )
                if opened:  # a delegate of the Calendar only: no other folder of that mailbox
                    raise EwsError("ErrorAccessDenied", "Access is denied. Check credentials.")
                raise EwsError("ErrorNonExistentMailbox", f"No mailbox with address {mbox}")
        elif name == "FolderId":
            folder = self.store.folders.get(elem.get("Id", ""))
            if folder is None and not looks_like_id(elem.get("Id", "")):
                raise EwsError("ErrorInvalidIdMalformed", "Id is malformed.")
        else:
            raise EwsError("ErrorInvalidRequest", f"Unexpected folder id element {name}")
        if folder is None:
            raise EwsError(
                "ErrorFolderNotFound", "The specified folder could not be found in the store."
            )
        return folder

    def item_of(self, elem: ET.Element) -> tuple[CalItem, int | None]:
        """ItemId / OccurrenceItemId / RecurringMasterItemId -> (master or single, index)."""
        name = local(elem)
        if name == "OccurrenceItemId":
            master = self._item(elem.get("RecurringMasterId", ""))
            index = int(elem.get("InstanceIndex", "0")) - 1
            if not master.data.get("Recurrence") or index < 0:
                raise EwsError("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange", "Bad index")
            if itemxml.view_of(master, index) is None:
                raise EwsError(
                    "ErrorCalendarOccurrenceIsDeletedFromRecurrence",
                    "Occurrence was deleted from the recurrence.",
                )
            return master, index
        if name == "RecurringMasterItemId":
            item, _ = self.item_of_id(elem.get("OccurrenceId", ""))
            return item, None
        if name == "ItemId":
            return self.item_of_id(elem.get("Id", ""))
        raise EwsError("ErrorInvalidRequest", f"Unexpected item id element {name}")

    def item_of_id(self, item_id: str) -> tuple[CalItem, int | None]:
        occ = parse_occurrence_id(item_id)
        if occ is not None:
            master = self._item(occ[0])
            if itemxml.view_of(master, occ[1]) is None:
                raise EwsError(
                    "ErrorItemNotFound", "The specified object was not found in the store."
                )
            return master, occ[1]
        return self._item(item_id), None

    def _item(self, item_id: str) -> CalItem:
        item = self.store.get(item_id)
        if item is None:
            if not looks_like_id(item_id):
                raise EwsError("ErrorInvalidIdMalformed", "Id is malformed.")
            raise EwsError("ErrorItemNotFound", "The specified object was not found in the store.")
        return item

    def render_ctx(self, shape: itemxml.Shape) -> itemxml.RenderContext:
        return itemxml.RenderContext(
            self.store,
            shape,
            self.owner_name,
            self.owner_email,
            extended_values=lambda v, ext: mime.extended_item_value(v, ext, self.store),
            mime=lambda v: mime.ical_bytes(v, self.owner_name, self.owner_email),
        )
