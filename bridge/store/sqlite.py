"""SQLite implementation of the store (the embedded default, R1): accounts, the mirror, the
caller-lookup index and the organisation (groups, policy, portal sessions), each in its own
module, combined here.

Must not import providers, sync or radicale.
"""

from __future__ import annotations

from bridge.store.accounts import AccountsStore
from bridge.store.clientprops import ClientPropsStore
from bridge.store.coord import CoordinationStore
from bridge.store.delegation import DelegationStore
from bridge.store.enrichments import EnrichmentStore
from bridge.store.mirror import MirrorStore
from bridge.store.org import OrgStore
from bridge.store.phones import PhonesStore
from bridge.store.rows import (
    AppPasswordRow,
    ConnectionPolicy,
    ConnectionRow,
    ConnectionSettings,
    ConnectionState,
    GroupRow,
    ItemDraft,
    SessionRow,
    UserRow,
    etag_of,
    href_for_uid,
)
from bridge.store.shared import SharedStateStore
from bridge.store.views import ViewsStore

__all__ = [
    "AppPasswordRow",
    "ConnectionPolicy",
    "ConnectionRow",
    "ConnectionSettings",
    "ConnectionState",
    "GroupRow",
    "ItemDraft",
    "SessionRow",
    "Store",
    "UserRow",
    "etag_of",
    "href_for_uid",
]


class Store(
    DelegationStore,  # before MirrorStore, which it extends
    AccountsStore,
    ViewsStore,  # meeting views (C4, branch views)
    MirrorStore,
    PhonesStore,
    OrgStore,
    EnrichmentStore,
    ClientPropsStore,
    CoordinationStore,
    SharedStateStore,
):
    """The mirror and state database."""
