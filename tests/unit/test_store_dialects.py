"""SQLite and PostgreSQL give the same answers (issue 17, point 1): the same contacts mirrored
into a store of each kind, then the caller-lookup queries (exact E.164 or national, E.164
prefix, digits anywhere: FTS5 trigram on SQLite, pg_trgm on PostgreSQL), collection and item
listings compared answer by answer, order included."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.model import CollectionKind, PhoneEntry
from bridge.store import ItemDraft, Store


def contacts(rng: random.Random, count: int) -> list[ItemDraft]:
    found = []
    for n in range(count):
        phones = []
        for kind in rng.sample(["cell", "work", "home"], rng.randint(1, 2)):
            national = rng.choice(["30", "40", "151", "89"]) + "".join(
                rng.choice("0123456789") for _ in range(rng.randint(5, 8))
            )
            cc = rng.choice(["49", "41", "1"])
            name = rng.choice(["Émile", "anna", "Zoë", "Bob", "ÅSA", "max"]) + f" {n}"
            phones.append(PhoneEntry(f"+{cc}{national}", national, national, kind, name, "Org"))
        found.append(
            ItemDraft(f"c{n}", f"r{n}", "1", f"BEGIN:VCARD\r\nFN:{n}\r\nEND:VCARD\r\n", "VCARD",
                      0, 0, phones=tuple(phones))
        )  # fmt: skip
    return found


@pytest.fixture
def pair(tmp_path: Path, pg_cluster: object) -> Iterator[tuple[Store, Store, int]]:
    from tests.pg_server import fresh_database

    stores = (Store(tmp_path / "db.sqlite3"), Store(fresh_database(pg_cluster)))  # type: ignore[arg-type]
    rng = random.Random(17)
    drafts = contacts(rng, 150)
    for store in stores:
        user = store.create_user("alex")
        conn = store.create_connection(user.id, "graph", "alex@contoso.example", "{}", None)
        coll = store.upsert_collection(
            user.id, conn.id, CollectionKind.ADDRESSBOOK, "book", "Contacts", None, False, None
        )
        store.apply_pull(coll.id, drafts, [], "c1", True, 1.0, suffix=".vcf")
        store.apply_pull(coll.id, [], [f"r{n}" for n in range(0, 150, 7)], "c2", False, 2.0)
    yield stores[0], stores[1], user.id
    for store in stores:
        store.close()


def test_caller_lookup_answers_alike(pair: tuple[Store, Store, int]) -> None:
    lite, pg, user_id = pair
    rng = random.Random(4)
    numbers = [m.entry for m in lite.phone_matches(user_id, prefix="+", limit=1000)]
    assert numbers  # the deleted contacts are gone from both
    queries: list[dict[str, object]] = []
    for entry in rng.sample(numbers, 20):
        queries.append({"exact": [entry.e164]})
        queries.append({"exact": [entry.national, "+000"]})
        queries.append({"prefix": entry.e164[: rng.randint(2, 6)]})
        start = rng.randint(0, len(entry.national) - 3)
        queries.append({"contains": entry.national[start : start + rng.randint(3, 5)]})
    queries += [{"contains": "999999"}, {"contains": "12"}, {"prefix": "+9"}, {"exact": []}]
    for query in queries:
        for limit in (5, 50):
            a = lite.phone_matches(user_id, limit=limit, **query)  # type: ignore[arg-type]
            b = pg.phone_matches(user_id, limit=limit, **query)  # type: ignore[arg-type]
            assert [(m.href, m.entry) for m in a] == [(m.href, m.entry) for m in b], query


def test_listings_and_tokens_answer_alike(pair: tuple[Store, Store, int]) -> None:
    lite, pg, user_id = pair
    (ca,), (cb,) = lite.collections(user_id), pg.collections(user_id)
    assert lite.items(ca.id) == pg.items(cb.id)
    assert list(lite.item_listing(ca.id)) == list(pg.item_listing(cb.id))
    assert list(lite.item_blobs(ca.id)) == list(pg.item_blobs(cb.id))
    assert lite.sync_token(ca.id).rpartition("-")[2] == pg.sync_token(cb.id).rpartition("-")[2]
    assert lite.changes_since(ca.id, "")[1] == pg.changes_since(cb.id, "")[1]


def test_texts_by_name_answer_alike_read_as_a_range_or_one_by_one(
    pair: tuple[Store, Store, int],
) -> None:
    """blobs_by_href (multiget, sync changes) reads a run of most items in a range as one,
    scattered names one by one: the same items either way, deleted and unknown names left
    out, on both databases; etags_by_href gives their ETags."""
    lite, pg, user_id = pair
    (ca,), (cb,) = lite.collections(user_id), pg.collections(user_id)
    live = {it.href: (it.etag, (it.text or "").encode()) for it in lite.items(ca.id)}
    names = sorted(live)
    deleted = [f"c{n}.vcf" for n in range(0, 150, 7)]
    assert deleted[3] not in live and len(names) == 150 - len(deleted)
    asks = {
        "a whole listing": names,
        "a run with gaps, deleted and unknown names in it": [
            *names[20:70:2],
            *[d for d in deleted if names[20] < d < names[69]],
            names[30] + "x",
        ],
        "a run and names far off": [*names[20:70], "zz.vcf", "a.vcf"],
        "a run in reverse, twice over": [*reversed(names[40:80]), *names[40:80]],
        "scattered": names[::11],
        "names beyond ASCII around a run": ["Ä.vcf", *names[:30], "zoë.vcf", "\U0001f600.vcf"],
        "too few for a range": names[5:8],
    }
    for what, ask in asks.items():
        expected = {h: live[h] for h in ask if h in live}
        assert lite.blobs_by_href(ca.id, ask) == expected, what
        assert pg.blobs_by_href(cb.id, ask) == expected, what
        etags = {h: etag for h, (etag, _) in expected.items()}  # the listing index alone
        assert lite.etags_by_href(ca.id, ask) == etags == pg.etags_by_href(cb.id, ask), what
