"""The contact branches of CreateItem and UpdateItem (ops_write.py dispatches here).

CreateItem with a `t:Contact` saves into SavedItemFolderId, by default the distinguished
`contacts` folder (how-to "Access contacts as a delegate by using EWS in Exchange", its
CreateItem example). UpdateItem applies SetItemField / DeleteItemField / AppendToItemField in
order (contacts_parse.apply_updates); the ChangeKey / ConflictResolution check stays in
ops_write.update_item, shared with calendar items. This module must not render whole items.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from sandbox.ews import contacts_edit, contacts_parse
from sandbox.ews.contacts_model import is_contact
from sandbox.ews.store import CalItem, Folder

if TYPE_CHECKING:
    from sandbox.ews.service import EwsService

__all__ = ["create", "is_contact", "update"]


def create(svc: EwsService, folder: Folder | None, elem: ET.Element) -> CalItem:
    target = folder or svc.store.distinguished("contacts")
    assert target is not None
    data = contacts_parse.parse_contact(elem)
    return contacts_edit.create(svc.store, target.id, data, svc.now())


def update(svc: EwsService, item: CalItem, updates: ET.Element | None) -> None:
    data = contacts_parse.apply_updates(
        item.data, updates if updates is not None else ET.Element("x")
    )
    contacts_edit.update(svc.store, item, data, svc.now())
