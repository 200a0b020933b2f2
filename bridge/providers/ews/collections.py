"""Calendar and contacts folders managed from DAV clients, for Exchange over EWS (issue 11).

CreateFolder makes a CalendarFolder below the default Calendar (as Outlook's "New Calendar"
does) or a ContactsFolder below the default Contacts folder; UpdateFolder (SetFolderField
folder:DisplayName) renames; DeleteFolder removes a folder (web-service-reference
"CreateFolder operation", "UpdateFolder operation", "DeleteFolder operation"). Exchange folders
have no colour or description that other clients share: only "name" is in `calendar_fields`.
Wire calls only (mixins over the providers' `account`, `_call` and `_folder`); no store.

`hierarchy_lock(account)`: every walk or change of an account's folder hierarchy holds it.
exchangelib deadlocks otherwise when two requests touch one account's folders at once:
`RootOfHierarchy._folders_map` takes the root's lock and then resolves a FolderCollection,
whose `folders` (a `threaded_cached_property`) takes a lock shared by *every* FolderCollection;
a concurrent walk holds that one and waits for the root's (seen as a hang of a DELETE, an
MKCOL and a PROPFIND together, vdirsyncer's storage suite against Exchange).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from exchangelib import Account
from exchangelib.folders import Calendar, Contacts

from bridge.model import AddressBookInfo, CalendarInfo, CollectionChange
from bridge.providers.common.retry import RetryPolicy
from bridge.providers.ews.errors import WRITE_POLICY

T = TypeVar("T")

_LOCKS: weakref.WeakKeyDictionary[Account, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def hierarchy_lock(account: Account) -> threading.RLock:
    """The one lock for `account`'s folder hierarchy (see the module docstring)."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(account)
        if lock is None:
            lock = _LOCKS[account] = threading.RLock()
        return lock


class _EwsFolders:
    account: Account
    _call: Callable[[Callable[[], Any], RetryPolicy], Any]
    _folder: Callable[[str], Any]

    def _rename(self, remote_id: str, display_name: str) -> None:
        with hierarchy_lock(self.account):
            folder = self._folder(remote_id)
            # the listed folder's ChangeKey may be stale: items written since (by another
            # bridge process on the same database, issue 17) change it, and UpdateFolder with
            # an old one fails with ErrorIrresolvableConflict. A client's rename carries no
            # precondition on the folder, so it is read again (GetFolder) first.
            self._call(lambda: folder.refresh(), WRITE_POLICY)
            folder.name = display_name
            self._call(lambda: folder.save(update_fields=["name"]), WRITE_POLICY)

    def _delete(self, remote_id: str) -> None:
        with hierarchy_lock(self.account):
            folder = self._folder(remote_id)
            self._call(lambda: folder.delete(), WRITE_POLICY)
            self._call(lambda: self.account.root.clear_cache(), WRITE_POLICY)


class EwsCalendarFolders(_EwsFolders):
    """Implements bridge.providers.base.CalendarCollections for EwsCalendarProvider."""

    calendar_fields = frozenset({"name"})

    def create_calendar(self, change: CollectionChange) -> CalendarInfo:
        with hierarchy_lock(self.account):
            parent = self._call(lambda: self.account.calendar, WRITE_POLICY)
            folder = Calendar(parent=parent, name=change.display_name or "Calendar")
            self._call(lambda: folder.save(), WRITE_POLICY)
            self._call(lambda: self.account.root.clear_cache(), WRITE_POLICY)
        return CalendarInfo(str(folder.id), str(folder.name))

    def change_calendar(self, remote_id: str, change: CollectionChange) -> None:
        if change.display_name is not None:
            self._rename(remote_id, change.display_name)

    def delete_calendar(self, remote_id: str) -> None:
        self._delete(remote_id)


class EwsContactFolders(_EwsFolders):
    """Implements bridge.providers.base.AddressBookCollections for EwsContactsProvider."""

    def create_address_book(self, display_name: str) -> AddressBookInfo:
        with hierarchy_lock(self.account):
            parent = self._call(lambda: self.account.contacts, WRITE_POLICY)
            folder = Contacts(parent=parent, name=display_name)
            self._call(lambda: folder.save(), WRITE_POLICY)
            self._call(lambda: self.account.root.clear_cache(), WRITE_POLICY)
        return AddressBookInfo(str(folder.id), str(folder.name))

    def rename_address_book(self, remote_id: str, display_name: str) -> None:
        self._rename(remote_id, display_name)

    def delete_address_book(self, remote_id: str) -> None:
        self._delete(remote_id)
