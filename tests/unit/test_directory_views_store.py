"""The name index (K5) and the meeting views (C4) in the store and the sync layer, without a
provider: cards searched by name and email from the index (equals, starts-with, contains, a
short contains), a removed card leaving it; and a view that copies the source's bytes and ETag
under an href naming the source, keeps its own sync token, and follows the source's changes."""

from __future__ import annotations

from pathlib import Path

from bridge.contacts.searchable import search_texts
from bridge.model import CollectionKind
from bridge.settings import SyncSettings
from bridge.store import ItemDraft, Store
from bridge.sync.engine import SyncEngine
from bridge.sync.views import HOSTED, ZOOM, MeetingViews, hosted_by, is_zoom

CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\nN:{family};{given};;;\r\n"
    "EMAIL;TYPE=INTERNET:{email}\r\nORG:Contoso;Sales\r\nEND:VCARD\r\n"
)


def _card(uid: str, given: str, family: str) -> ItemDraft:
    text = CARD.format(
        uid=uid, fn=f"{given} {family}", family=family, given=given, email=f"{given}@x.example"
    )
    return ItemDraft(uid, uid, "1", text, "VCARD", 0, 1, texts=search_texts(text))


def _event(uid: str, extra: str) -> ItemDraft:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART:20270101T100000Z\r\nSUMMARY:{uid}\r\n{extra}END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    return ItemDraft(uid, uid, "1", text, "VEVENT", 0, 1)


def _store(target: Path | str) -> tuple[Store, int, int]:
    """A store on SQLite or PostgreSQL (the `store_target` fixture, tests/conftest.py)."""
    store = Store(target)
    user = store.create_user("ann", "ann@x.example")
    conn = store.create_connection(user.id, "graph", "ann@x.example", "{}", None)
    return store, user.id, conn.id


def test_search_texts_are_case_folded_names_and_addresses() -> None:
    texts = search_texts(_card("a", "Jürgen", "Groß").text)
    assert ("FN", "jürgen gross") in texts and ("EMAIL", "jürgen@x.example") in texts
    assert ("N", "gross jürgen") in texts and ("ORG", "contoso sales") in texts


def test_name_index_answers_equals_starts_with_and_contains(store_target: Path | str) -> None:
    store, user_id, conn_id = _store(store_target)
    book = store.upsert_collection(
        user_id, conn_id, CollectionKind.ADDRESSBOOK, "@directory", "Directory", None, True, None
    )
    drafts = [_card("a", "Adele", "Vance"), _card("b", "Alex", "Wilber"), _card("c", "Ada", "Li")]
    store.apply_pull(book.id, drafts, (), "c", True, 0.0, suffix=".vcf")

    def find(props: tuple[str, ...], text: str, match: str) -> list[str]:
        return store.card_hrefs(book.id, props, text, match, 10)

    assert find(("FN",), "ALEX WILBER", "equals") == ["b.vcf"]
    assert find(("FN",), "ad", "starts-with") == ["a.vcf", "c.vcf"]
    assert find(("FN",), "ilbe", "contains") == ["b.vcf"]  # trigram
    assert find(("FN",), "li", "contains") == ["c.vcf"]  # two letters: the index rows only
    assert find(("EMAIL",), "adele@x.example", "equals") == ["a.vcf"]
    assert find(("EMAIL",), "vance", "contains") == []  # another property
    store.apply_pull(book.id, [], ["b"], "c2", False, 0.0, suffix=".vcf")
    assert find(("FN",), "wilber", "contains") == []


def test_zoom_and_hosted_tests_read_the_enriched_text() -> None:
    assert is_zoom("BEGIN:VEVENT\r\nX-ZOOM-MEETING:TRUE\r\nEND:VEVENT\r\n")
    assert not is_zoom("BEGIN:VEVENT\r\nX-ZOOM-MEETING:FALSE\r\nEND:VEVENT\r\n")
    organised = "ORGANIZER;CN=Ann:mailto:ANN@x.example\r\n"
    assert hosted_by(organised, ["ann@x.example"], own_calendar=False)
    assert not hosted_by("ORGANIZER:mailto:bob@x.example\r\n", ["ann@x.example"], True)
    assert hosted_by("SUMMARY:dentist\r\n", ["ann@x.example"], own_calendar=True)
    assert not hosted_by("SUMMARY:dentist\r\n", ["ann@x.example"], own_calendar=False)


def test_a_view_copies_bytes_and_etags_and_has_its_own_tokens(store_target: Path | str) -> None:
    store, user_id, conn_id = _store(store_target)
    engine = SyncEngine(store, lambda _cid: None, SyncSettings())  # type: ignore[arg-type,return-value]
    cal = store.upsert_collection(
        user_id, conn_id, CollectionKind.CALENDAR, "cal1", "Calendar", None, False, None
    )
    zoom = _event("z1", "X-ZOOM-MEETING:TRUE\r\nORGANIZER:mailto:bob@x.example\r\n")
    mine = _event("m1", "X-ZOOM-MEETING:FALSE\r\nORGANIZER:mailto:ann@x.example\r\n")
    store.apply_pull(cal.id, [zoom, mine], (), "c", True, 0.0)
    store.set_meeting_views(user_id, {ZOOM, HOSTED})
    views = MeetingViews(engine)
    made = {c.name: views.rebuild(c) for c in views.ensure(user_id)}
    assert set(made) == {"zoom-meetings", "hosted-by-me"}
    zoom_view, hosted_view = made["zoom-meetings"], made["hosted-by-me"]
    source = {i.href: i for i in store.items(cal.id)}
    copies = {i.href: i for i in store.items(zoom_view.id)}
    assert list(copies) == [f"{cal.name}--z1.ics"]
    assert copies[f"{cal.name}--z1.ics"].etag == source["z1.ics"].etag
    assert copies[f"{cal.name}--z1.ics"].text == source["z1.ics"].text
    assert [i.href for i in store.items(hosted_view.id)] == [f"{cal.name}--m1.ics"]
    token = store.sync_token(zoom_view.id)
    assert token != store.sync_token(hosted_view.id)

    store.apply_pull(cal.id, [], ["z1"], "c2", False, 0.0)  # the Zoom meeting is cancelled
    views.rebuild(zoom_view)
    now, changed = store.changes_since(zoom_view.id, token)
    assert changed == [f"{cal.name}--z1.ics"] and now != token
    assert store.items(zoom_view.id) == []
    store.set_meeting_views(user_id, {HOSTED})
    assert [c.name for c in views.ensure(user_id)] == ["hosted-by-me"]
    assert store.collection_by_name(user_id, "zoom-meetings") is None


def test_directory_scopes_are_asked_only_while_the_policy_has_it_on(
    store_target: Path | str,
) -> None:
    import json

    from bridge.accounts.directory_scopes import directory_scopes, directory_wanted
    from bridge.accounts.kits.ews import EwsKit
    from bridge.accounts.kits.google import GoogleKit
    from bridge.accounts.kits.graph import GraphKit

    store, user_id, _ = _store(store_target)
    assert not directory_wanted(store, user_id)  # off by default
    store.set_org_policy(json.dumps({"directory": True}))
    assert directory_wanted(store, user_id)
    group = store.create_group("interns")
    store.set_group_overrides(group.id, json.dumps({"directory": False}))
    store.set_user_group(user_id, group.id)
    assert not directory_wanted(store, user_id)  # the group's override wins (P6)
    assert directory_scopes(GraphKit()) == ("User.Read.All",)
    assert directory_scopes(GoogleKit()) == ("https://www.googleapis.com/auth/directory.readonly",)
    assert directory_scopes(EwsKit()) == ()


def test_the_sandbox_directory_is_deterministic_and_large() -> None:
    from sandbox.directory_people import generate

    first = generate(
        "graph", "contoso.example", real_users=[("Alex Wilber", "alex@contoso.example")]
    )
    assert first == generate(
        "graph", "contoso.example", real_users=[("Alex Wilber", "alex@contoso.example")]
    )
    assert len(first) >= 500 and first[0].email == "alex@contoso.example"
    assert len({p.email for p in first}) == len(first) and len({p.id for p in first}) == len(first)
    assert first != generate("google", "contoso.example")


def test_views_take_delegated_meetings_but_not_busy_blocks(tmp_path: Path) -> None:
    store, user_id, conn_id = _store(tmp_path / "m.db")
    engine = SyncEngine(store, lambda _cid: None, SyncSettings())  # type: ignore[arg-type,return-value]
    private_zoom = "CLASS:PRIVATE\r\nX-ZOOM-MEETING:TRUE\r\n"
    shown, hidden = (
        store.upsert_collection(
            user_id, conn_id, CollectionKind.CALENDAR, rid, rid, None, True, "megan@x.example"
        )
        for rid in ("with-private-access", "busy-blocks-only")
    )
    store.set_redaction(hidden.id, True)
    store.apply_pull(shown.id, [_event("p1", private_zoom)], (), "c", True, 0.0)
    store.apply_pull(hidden.id, [_event("p2", private_zoom)], (), "c", True, 0.0)
    store.set_meeting_views(user_id, {ZOOM})
    views = MeetingViews(engine)
    (zoom_view,) = views.ensure(user_id)
    views.rebuild(zoom_view)
    assert [i.uid for i in store.items(zoom_view.id)] == ["p1"]
