"""The mirror and state store: the only code that speaks SQL.

`Store` (sqlite.py) holds users, app passwords, connections (with encrypted secrets),
collections, mirrored items with per-collection change sequences and tombstones.
It must not import providers, sync or radicale, and never sees plaintext secrets.
"""

from bridge.store.sqlite import ItemDraft, Store

__all__ = ["ItemDraft", "Store"]
