"""Caller lookup (K4): the E.164 phone index of mirrored contacts and per-user regions.

Must not import providers, sync or radicale."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bridge.model import PhoneEntry, PhoneMatch
from bridge.store.base import StoreBase


class PhonesStore(StoreBase):
    # -- caller lookup (K4) ----------------------------------------------------------------
    def phone_matches(
        self,
        user_id: int,
        *,
        exact: Sequence[str] = (),
        prefix: str | None = None,
        contains: str | None = None,
        collection_id: int | None = None,
        limit: int = 50,
        last: Sequence[int] = (),
    ) -> list[PhoneMatch]:
        """Contacts whose numbers match, from the index (never a scan of the contacts).

        `exact`: E.164 numbers or national digit strings; `prefix`: an E.164 prefix ("+4930");
        `contains`: at least 3 digits found anywhere in the E.164 or national form.
        """
        cols = "p.collection_id, p.href, p.e164, p.national, p.raw, p.kind, p.name, p.org"
        where: list[str] = ["c.user_id = ?"]
        args: list[object] = [user_id]
        if collection_id is not None:
            # unary + keeps SQLite from choosing the per-collection index (a scan of the whole
            # address book) over the number indexes
            where.append("+p.collection_id = ?")
            args.append(collection_id)
        if exact:
            marks = ",".join("?" * len(exact))
            where.append(f"(p.e164 IN ({marks}) OR p.national IN ({marks}))")
            args += [*exact, *exact]
        elif prefix:
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            where.append("(p.e164 >= ? AND p.e164 < ?)")
            args += [prefix, upper]
        elif contains and len(contains) >= 3 and self.dialect == "postgres":
            # the trigram GIN index answers LIKE '%…%' (pg_trgm); the same recheck as below
            where.append(
                "p.rowid IN (SELECT rowid FROM phones_digits WHERE digits LIKE ?) "
                "AND (strpos(p.e164, ?) > 0 OR strpos(p.national, ?) > 0)"
            )
            args += ["%" + re.sub(r"([\\%_])", r"\\\1", contains) + "%", contains, contains]
        elif contains and len(contains) >= 3:
            where.append(
                "p.rowid IN (SELECT rowid FROM phones_digits WHERE phones_digits MATCH ?) "
                "AND (instr(p.e164, ?) > 0 OR instr(p.national, ?) > 0)"
            )
            args += ['"' + contains + '"', contains, contains]
        else:
            return []
        # `last`: collections answered after all others (the directory after own contacts, K5)
        later = f"p.collection_id IN ({','.join(str(int(i)) for i in last)}), " if last else ""
        sql = (
            f"SELECT {cols} FROM phones p JOIN collections c ON c.id = p.collection_id "
            f"WHERE {' AND '.join(where)} ORDER BY {later}p.name, p.href LIMIT ?"
        )
        return [
            PhoneMatch(r[0], r[1], PhoneEntry(*r[2:]))
            for r in self._db.execute(sql, (*args, limit))
        ]

    def user_region(self, user_id: int) -> str | None:
        row = self._db.execute("SELECT region FROM users WHERE id = ?", (user_id,)).fetchone()
        return row[0] if row else None

    def set_user_region(self, user_id: int, region: str | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET region = ? WHERE id = ?", (region, user_id))

    def uid_aliases(self, collection_id: int) -> dict[str, str]:
        """remote id -> the UID a DAV client gave the item (when the provider chose another)."""
        return {
            r[0]: r[1]
            for r in self._db.execute(
                "SELECT remote_id, uid FROM uid_aliases WHERE collection_id = ?", (collection_id,)
            )
        }

    def set_uid_alias(self, collection_id: int, remote_id: str, uid: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO uid_aliases VALUES (?, ?, ?) ON CONFLICT (collection_id, remote_id) "
                "DO UPDATE SET uid = excluded.uid",
                (collection_id, remote_id, uid),
            )
