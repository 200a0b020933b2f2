"""The name index of mirrored contacts (K5): FN, N, NICKNAME, ORG and EMAIL values of every
card, case-folded, so that an addressbook-query by name or email — typically on the
organisation's directory — is answered from an index, not a scan of the cards.

equals / starts-with use the B-tree on (collection, property, value); contains uses the FTS5
(on PostgreSQL: pg_trgm GIN) trigram table (its rowids are those of `card_texts`) for 3 characters or more, and for fewer
the collection's index rows only. Must not import providers, sync or radicale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bridge.store.base import Db, StoreBase


class NamesStore(StoreBase):
    def _set_texts(
        self,
        db: Db,
        collection_id: int,
        href: str,
        texts: Sequence[tuple[str, str]],
    ) -> None:
        db.execute(
            "DELETE FROM card_texts_trigram WHERE rowid IN "
            "(SELECT rowid FROM card_texts WHERE collection_id = ? AND href = ?)",
            (collection_id, href),
        )
        db.execute(
            "DELETE FROM card_texts WHERE collection_id = ? AND href = ?", (collection_id, href)
        )
        for prop, value in texts:
            rowid = db.execute(
                "INSERT INTO card_texts (collection_id, href, prop, value) VALUES (?, ?, ?, ?) "
                "RETURNING rowid",
                (collection_id, href, prop, value),
            ).fetchone()[0]
            db.execute(
                "INSERT INTO card_texts_trigram (rowid, value) VALUES (?, ?)", (rowid, value)
            )

    def _has_texts(self, db: Db, collection_id: int, href: str) -> bool:
        return (
            db.execute(
                "SELECT 1 FROM card_texts WHERE collection_id = ? AND href = ? LIMIT 1",
                (collection_id, href),
            ).fetchone()
            is not None
        )

    def _drop_texts(self, db: Db, collection_id: int) -> None:
        db.execute(
            "DELETE FROM card_texts_trigram WHERE rowid IN "
            "(SELECT rowid FROM card_texts WHERE collection_id = ?)",
            (collection_id,),
        )

    def card_hrefs(
        self, collection_id: int, props: Sequence[str], text: str, match: str, limit: int
    ) -> list[str]:
        """Hrefs of cards with a value of one of `props` that equals / starts with / contains
        `text` (compared case-folded), in href order, at most `limit`."""
        needle = text.casefold()
        marks = ",".join("?" * len(props))
        where = f"t.collection_id = ? AND t.prop IN ({marks})"
        args: list[object] = [collection_id, *props]
        if match == "equals":
            where += " AND t.value = ?"
            args.append(needle)
        elif match == "starts-with":
            upper = needle[:-1] + chr(ord(needle[-1]) + 1)
            where += " AND t.value >= ? AND t.value < ?"
            args += [needle, upper]
        elif len(needle) >= 3 and self.dialect == "postgres":
            # the trigram GIN index answers LIKE '%…%' (pg_trgm), as for phone digits
            where += (
                " AND t.rowid IN (SELECT rowid FROM card_texts_trigram WHERE value LIKE ?)"
                " AND strpos(t.value, ?) > 0"
            )
            args += ["%" + re.sub(r"([\\%_])", r"\\\1", needle) + "%", needle]
        elif self.dialect == "postgres":
            where += " AND strpos(t.value, ?) > 0"
            args.append(needle)
        elif len(needle) >= 3:
            where += (
                " AND t.rowid IN (SELECT rowid FROM card_texts_trigram WHERE "
                "card_texts_trigram MATCH ?) AND instr(t.value, ?) > 0"
            )
            args += ['"' + needle.replace('"', '""') + '"', needle]
        else:
            where += " AND instr(t.value, ?) > 0"
            args.append(needle)
        # no ORDER BY / DISTINCT in SQL: either makes SQLite walk the (collection, href) index
        # of the whole address book instead of the value index (measured: 137 ms vs < 1 ms
        # for an email at 20,000 cards); the few hits are ordered here
        sql = f"SELECT t.href FROM card_texts t WHERE {where} LIMIT ?"
        rows = self._db.execute(sql, (*args, limit * 2 + 1))
        return sorted({r[0] for r in rows})[:limit]
