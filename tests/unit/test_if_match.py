"""If-Match is checked against the mirror as it is when the write goes out (bridge.api), so a
provider-side change that a background refresh brought in after the DAV layer's own check is
not overwritten with the newer provider version."""

from __future__ import annotations

import pytest

from bridge.errors import PreconditionFailed
from bridge.facade.dav import check_if_match
from bridge.model import ItemRecord

ITEM = ItemRecord(1, "a.ics", "uid", "rid", "v2", '"etag-2"', "text", "VEVENT", 0, 1, 5)


def test_the_current_etag_or_a_star_passes() -> None:
    check_if_match(ITEM, '"etag-2"')
    check_if_match(ITEM, '"etag-1", "etag-2"')
    check_if_match(ITEM, "*")
    check_if_match(ITEM, None)
    check_if_match(None, '"etag-1"')  # a create: nothing to compare with here


def test_an_etag_the_mirror_moved_past_is_refused_with_412() -> None:
    with pytest.raises(PreconditionFailed) as caught:
        check_if_match(ITEM, '"etag-1"')
    assert caught.value.http_status == 412
