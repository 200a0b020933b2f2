"""Several new address books deleted at once (vdirsyncer's CardDAV `test_discover` teardown,
issue 11): each DELETE succeeds (Radicale answers 200) and every folder is gone at the provider, and none of them
comes back in the mirror. A race needs luck to show here; tests/unit/test_collection_listing_race.py
forces the interleaving that caused it."""

from __future__ import annotations

import threading
import uuid

import requests

from tests.e2e.conftest import GraphAdmin, RunningDemo
from tests.e2e.test_collections import MKCOL_BOOK

VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n"


def _collections(demo: RunningDemo) -> str:
    listing = requests.request(
        "PROPFIND",
        f"{demo.url}{demo.auth[0]}/",
        headers={"Depth": "1"},
        auth=demo.auth,
        timeout=60,
    )
    assert listing.status_code == 207, listing.text
    return listing.text


def test_new_address_books_deleted_at_once_are_all_deleted(demo: RunningDemo) -> None:
    graph = GraphAdmin(demo.info)
    tag = uuid.uuid4().hex[:6]
    names = [f"Book {tag} {i}" for i in range(4)]
    urls = [f"{demo.url}{demo.auth[0]}/m365-{tag}-{i}/" for i in range(4)]
    for url, name in zip(urls, names, strict=True):
        made = requests.request(
            "MKCOL", url, data=MKCOL_BOOK.format(name=name), auth=demo.auth, timeout=60
        )
        assert made.status_code == 201, made.text
        card = VCARD.format(uid=uuid.uuid4(), name=name)
        put = requests.put(
            url + "card.vcf",
            data=card,
            headers={"Content-Type": "text/vcard"},
            auth=demo.auth,
            timeout=60,
        )
        assert put.status_code in (201, 204), put.text

    start = threading.Barrier(len(urls))
    answers: dict[str, int] = {}

    def delete(url: str) -> None:
        start.wait()
        answers[url] = requests.delete(url, auth=demo.auth, timeout=60).status_code

    threads = [threading.Thread(target=delete, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(answers) == sorted(urls) and set(answers.values()) <= {200, 204}, answers
    folders = {f["displayName"] for f in graph.json("GET", "/contactFolders")["value"]}
    assert not folders & set(names), folders
    listed = _collections(demo)
    assert not [u for u in urls if u.split("/")[-2] in listed], listed
