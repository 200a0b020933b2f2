"""A connection's secret at rest: the OAuth token blob ({"token": …}) or the Exchange password
({"password": …}) as JSON, encrypted with SecretBox before the store sees it. Plaintext exists
only in memory. Must not log secrets.
"""

from __future__ import annotations

import json

from bridge.secrets import SecretBox
from bridge.store import Store
from bridge.store.rows import ConnectionRow


class Credentials:
    def __init__(self, store: Store, box: SecretBox) -> None:
        self.store = store
        self.box = box  # replaced when the key is rotated

    def read(self, conn: ConnectionRow) -> dict[str, str]:
        """The connection's decrypted secret ({} when none is stored)."""
        if not conn.secret:
            return {}
        data = json.loads(self.box.decrypt(conn.secret))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def seal_token(self, blob: str) -> bytes:
        return self.box.encrypt(json.dumps({"token": blob}))

    def seal_password(self, password: str) -> bytes:
        return self.box.encrypt(json.dumps({"password": password}))

    def save_token(self, connection_id: int, blob: str) -> None:
        """Store a refreshed token blob of the connection."""
        self.store.set_connection_secret(connection_id, self.seal_token(blob))
