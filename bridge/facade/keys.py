"""The facade's key rotation: a new key in front of the key file, every stored secret (the
connections' and the demo's app password beside the database) re-encrypted under it, old keys
dropped on request. See README "Secrets" for the procedure.

Must not log keys or secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

from bridge.accounts.connections import Connections
from bridge.errors import ConfigError
from bridge.secrets import SecretBox, generate_key, read_key_file, write_key_file
from bridge.settings import Settings
from bridge.store import Store


class KeysFacade:
    settings: Settings
    store: Store
    box: SecretBox
    key_file: Path
    connections: Connections

    # -- key rotation ---------------------------------------------------------------------
    def _secret_files(self) -> list[Path]:
        """Secrets kept beside the database: the demo's app password (in the demo's data
        directory, the parent of the bridge's)."""
        data = self.settings.data_dir
        return [
            p
            for p in (data / "demo-password.enc", data.parent / "demo-password.enc")
            if p.is_file()
        ]

    def reencrypt_secrets(self, box: SecretBox) -> int:
        """Re-encrypt every stored secret under `box`'s newest key (which must be able to
        read them through one of its keys); returns how many were re-encrypted."""
        rotated = {
            c.id: box.rotate(c.secret) for c in self.store.connections() if c.secret is not None
        }
        for path in self._secret_files():
            tmp = path.with_name(path.name + ".new")
            tmp.write_bytes(box.rotate(path.read_bytes()))
            tmp.chmod(0o600)
            os.replace(tmp, path)
        self.store.replace_secrets(rotated)
        self.box = self.connections.box = box
        return len(rotated) + len(self._secret_files())

    def reencrypt_in_place(self) -> int:
        """Re-encrypt every stored secret under the current key set's newest key."""
        return self.reencrypt_secrets(self.box)

    def key_path(self) -> Path:
        """Where the secret key file is (unused when DAVBRIDGE_SECRET_KEY is set)."""
        return self.key_file

    def rotate_key(self, drop_old: bool = False) -> int:
        """Put a new key in front of the key file, then re-encrypt every secret under it.
        The key file is written first (new key, then the old ones), so a crash at any point
        leaves every secret readable. `drop_old` removes the old keys afterwards (only when no
        other process still writes secrets with them)."""
        if os.environ.get("DAVBRIDGE_SECRET_KEY"):
            raise ConfigError(
                "DAVBRIDGE_SECRET_KEY", "the key comes from the environment; rotate it there"
            )
        old = read_key_file(self.key_file)
        keys = [generate_key(), *old]
        write_key_file(self.key_file, keys)
        count = self.reencrypt_secrets(SecretBox(keys))
        if drop_old:
            write_key_file(self.key_file, keys[:1])
            self.box = self.connections.box = SecretBox(keys[:1])
        return count
