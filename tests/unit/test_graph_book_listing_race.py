"""Listing Microsoft 365 address books while a client deletes several of them at once (issue
11; vdirsyncer's test_discover teardown DELETEs four new address books together): a folder
deleted between the top-level listing and the listing of its child folders is left out,
instead of failing the listing — and with it the DELETE that needed it — with 404."""

from __future__ import annotations

from typing import Any

from bridge.errors import RemoteNotFound
from bridge.providers.graph.contacts import GraphContactsProvider


class RacingGraph:
    """contactFolders as Graph lists them, with folder "b" deleted right after the listing."""

    prefix = "/me"

    def get(self, path: str, policy: Any = None) -> dict[str, Any]:
        assert path == "/me/contactFolders/contacts"
        return {"id": "default", "displayName": "Contacts"}

    def get_all(self, path: str, policy: Any = None) -> list[dict[str, Any]]:
        if path == "/me/contactFolders":
            return [{"id": i, "displayName": i.upper()} for i in ("a", "b", "c")]
        if path == "/me/contactFolders/b/childFolders":
            raise RemoteNotFound("graph", "The specified object was not found in the store.")
        if path == "/me/contactFolders/c/childFolders":
            return [{"id": "c1", "displayName": "Sub"}]
        return []


def test_a_folder_deleted_during_the_listing_is_left_out() -> None:
    books = GraphContactsProvider(RacingGraph()).list_address_books()  # type: ignore[arg-type]
    assert [(b.remote_id, b.display_name) for b in books] == [
        ("default", "Contacts"),
        ("a", "A"),
        ("c", "C"),
        ("c1", "C / Sub"),
    ]
