"""Cost of the lossless overlay (SPEC C10) per item, measured, not assumed.

Prints the encoded size of an Apple-style overlay (X-APPLE-STRUCTURED-LOCATION, SEQUENCE,
RELATED-TO, CATEGORIES, DURATION, a cancelled override, the client's UID) and the CPU time of
`apply` (every read of an item: with and without an overlay) and `for_write` (every write).
Run: .venv/bin/python -m bench.overlay_cost
"""

from __future__ import annotations

import timeit

from bridge.ical import overlay
from tests.unit.test_ical_overlay import CLIENT, PROVIDER


def main() -> None:
    stored = overlay.encode(overlay.compute(CLIENT, PROVIDER))
    reads, writes = 2000, 500
    with_overlay = timeit.timeit(lambda: overlay.apply(PROVIDER, stored), number=reads)
    without = timeit.timeit(lambda: overlay.apply(PROVIDER, ""), number=reads)
    write = timeit.timeit(lambda: overlay.for_write(CLIENT, PROVIDER), number=writes)
    print(f"encoded overlay: {len(stored)} bytes (bound {overlay.OVERLAY_MAX_BYTES})")
    print(f"apply, item with an overlay: {1000 * with_overlay / reads:.3f} ms")
    print(f"apply, item without one:     {1000 * without / reads:.5f} ms")
    print(f"for_write per write:         {1000 * write / writes:.3f} ms")


if __name__ == "__main__":
    main()
