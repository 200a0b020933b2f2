"""What the EWS calendar and contacts providers share: one mailbox's account, calls and rounds.

What it does: `EwsMailbox` holds the exchangelib Account (connected on first use), runs every
EWS operation under a retry policy (counting requests), finds a folder by id (listing the
folders once when it is not known yet), fetches items with GetItem (items that are gone are left
out, so are items of another class filed in the folder), and runs the SyncFolderItems rounds of
one pull: from the cursor's SyncState when there is one, else — or when Exchange says the state
is no longer valid (ErrorInvalidSyncStateData, "Handling synchronization-related errors in EWS
in Exchange") — from the start (a reset).
What it must not do: map items to iCalendar or vCard, or touch the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from exchangelib import Account

from bridge.errors import RemoteNotFound
from bridge.model import SyncWindow
from bridge.providers.common.cursor import Cursor, Resumed, resume
from bridge.providers.common.retry import RetryPolicy
from bridge.providers.ews.account import EwsConfig, connect
from bridge.providers.ews.errors import PULL_POLICY, call, translate
from bridge.providers.ews.sync import sync_changes

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_CHANGES = 512  # SyncFolderItems MaxChangesReturned upper bound (syncfolderitems-operation)
Changes = tuple[list[str], list[str], str]  # (changed ids, deleted ids, new SyncState)


class EwsMailbox:
    """One EWS mailbox; subclasses say which folders and items they serve."""

    FOLDER_WORD: ClassVar[str]  # "calendar folder" / "contacts folder", for errors
    ITEM_TYPE: ClassVar[type]  # the exchangelib item class the folders serve
    ITEM_FIELDS: ClassVar[tuple[Any, ...]]  # the fields GetItem asks for

    def __init__(
        self,
        config: EwsConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        account: Account | None = None,
        max_changes: int = MAX_CHANGES,
    ) -> None:
        self._config = config
        self._sleep = sleep
        self._account = account
        self._folders: dict[str, Any] = {}
        self._max_changes = max_changes
        self.request_count = 0
        self._count_lock = threading.Lock()  # a paged pull asks from two threads

    @property
    def account(self) -> Account:
        if self._account is None:
            self._account = connect(self._config)
        return self._account

    @property
    def account_email(self) -> str:
        return self._config.email

    def _call(self, operation: Callable[[], T], policy: RetryPolicy) -> T:
        with self._count_lock:
            self.request_count += 1
        return call(operation, policy, self._sleep)

    def _list_folders(self) -> None:
        """List the folders, filling `self._folders` (the subclass's C1/K1 listing)."""
        raise NotImplementedError

    def _folder(self, remote_id: str) -> Any:
        if remote_id not in self._folders:
            self._list_folders()
        if remote_id not in self._folders:
            message = f"{self.FOLDER_WORD} {remote_id} does not exist"
            raise RemoteNotFound("ews", message, None, 404)
        return self._folders[remote_id]

    def _get(self, ids: Sequence[Any], folder: Any, policy: RetryPolicy) -> list[Any]:
        """GetItem for `ids` (ItemId strings or (id, changekey) pairs / BaseItemId objects);
        missing ones and items of another class are left out."""
        if not ids:
            return []
        wanted = [(i, None) if isinstance(i, str) else i for i in ids]
        results = self._call(
            lambda: list(
                self.account.fetch(ids=wanted, folder=folder, only_fields=self.ITEM_FIELDS)
            ),
            policy,
        )
        items = []
        for result in results:
            if isinstance(result, Exception):
                error = translate(result)
                if isinstance(error, RemoteNotFound):
                    continue
                raise error
            if not isinstance(result, self.ITEM_TYPE):  # e.g. a message filed in the folder
                log.info("skipped a %s item in a %s", type(result).__name__, self.FOLDER_WORD)
                continue
            items.append(result)
        return items

    def _changes(
        self, folder: Any, cursor: Cursor | None, window: SyncWindow | None, item_type: type
    ) -> Resumed[Changes]:
        """The changes since the cursor's SyncState, or all of them (a reset)."""
        return resume(
            cursor,
            window,
            lambda state: self._sync_round(folder, state, item_type),
            lambda: self._sync_round(folder, None, item_type),
            f"ews {self.FOLDER_WORD}",
        )

    def _sync_round(self, folder: Any, state: str | None, item_type: type) -> Changes:
        """All SyncFolderItems rounds until IncludesLastItemInRange; nothing applied before."""
        return sync_changes(
            self.account,
            folder,
            state,
            self._max_changes,
            lambda op: self._call(op, PULL_POLICY),
            translate,
            item_type=item_type,
        )
