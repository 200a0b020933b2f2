"""A gzip-compressed bulk answer still streams (radicale_plugins.multistatus): each piece the
server hands over inflates on its own to the next part of the answer while the rest is not
rendered yet, so a client starts reading a large multiget at once and the bridge never holds
the answer whole (ISA-L's compressor keeps ~1 MiB of input unless each piece is flushed)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from radicale_plugins import multistatus

PARTS = 200  # ~6 MiB of calendar-like text, far more than one piece


def _answer(rendered: list[int]) -> Iterator[bytes]:
    for i in range(PARTS):
        rendered.append(i)
        yield (
            (
                f"<response><href>/alice/cal/event-{i}.ics</href><propstat><prop>"
                f"<C:calendar-data>BEGIN:VCALENDAR\r\nUID:event-{i}\r\n"
            ).encode()
            + b"DESCRIPTION:agenda\r\n" * 1500
            + b"</C:calendar-data></prop></response>"
        )


def test_each_compressed_piece_inflates_before_the_answer_is_rendered_whole() -> None:
    rendered: list[int] = []
    plain = b"".join(_answer([]))
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    received = b""
    pieces = multistatus._pieces(_answer(rendered), gzip=True)
    first = next(pieces)
    received += inflate.decompress(first)
    assert len(rendered) < PARTS / 4  # the client has data while most is still to render
    assert len(received) >= multistatus.FIRST_PIECE and plain.startswith(received)
    sizes = []
    for piece in pieces:
        before = len(received)
        received += inflate.decompress(piece)
        sizes.append(len(received) - before)
        assert plain.startswith(received)  # every piece is readable as it arrives
    assert received == plain and inflate.eof
    assert len(first) < multistatus.FIRST_PIECE // 4  # and it is compressed
    assert min(sizes[:-1]) >= multistatus.PIECE  # later pieces are the larger ones
