"""The organisation directory (K5) in the sync engine: which connections carry the
"Directory — <service>" address book, and whether a user may see it.

The directory is one more address book of a connection, mirrored under the remote id
`DIRECTORY_ID`, read-only, pulled through the provider's `DirectorySource`; its cards enter
the caller-lookup index like any contact. It exists while the user's effective policy has
`directory` on (organisation setting, group override) and the connection syncs contacts;
switched off, discovery drops it and it is neither served nor pulled meanwhile.
Must not import radicale or a concrete provider.
"""

from __future__ import annotations

from bridge.accounts.registry import label_of
from bridge.model import CollectionKind, CollectionRecord
from bridge.providers.base import DIRECTORY_ID, DirectorySource
from bridge.sync.enforcement import OrgLimits

#: The directory is refreshed every this many refresh intervals.
DIRECTORY_EVERY = 10

Listed = tuple[str, str, str | None, bool, str | None]  # remote id, label, colour, ro, owner


def directory_on(limits: OrgLimits | None) -> bool:
    return limits is not None and limits.enabled and bool(getattr(limits, "directory", False))


def is_directory(coll: CollectionRecord) -> bool:
    return coll.kind is CollectionKind.ADDRESSBOOK and coll.remote_id == DIRECTORY_ID


def directory_label(provider: str) -> str:
    return f"Directory — {label_of(provider)}"


def directory_books(provider: object, limits: OrgLimits | None, kind: str) -> list[Listed]:
    """The directory address book to list beside the connection's contact folders."""
    if directory_on(limits) and isinstance(provider, DirectorySource):
        return [(DIRECTORY_ID, directory_label(kind), None, True, None)]
    return []


def visible(coll: CollectionRecord, limits: OrgLimits | None) -> bool:
    """False for a directory the user's policy no longer shows."""
    return not is_directory(coll) or directory_on(limits)
