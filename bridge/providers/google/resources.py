"""One Resource object per googleapiclient collection, made once per service.

googleapiclient builds a new Resource each time a collection is asked for (`service.events()`,
`service.people().connections()`), and building one creates every method of the collection with
its docstring rendered from the discovery schemas: ~10 ms of CPU, holding the GIL, for each
request a refresh makes (a no-change Google refresh took 7–15 ms of CPU against 4 ms for
Graph), which delays every DAV request served meanwhile. `Memo` hands out each collection's
Resource once and the same object afterwards; Resource methods keep no state between calls
(each returns a new HttpRequest), so sharing one is safe where the service itself is (the
clients use it under their lock).

Must not change what requests are made: only how often the Python objects are built.
"""

from __future__ import annotations

from typing import Any


class Memo:
    """A googleapiclient Resource whose sub-collections are built once."""

    def __init__(self, resource: Any) -> None:
        self._resource = resource
        desc = getattr(resource, "_resourceDesc", None) or {}
        self._collections = frozenset(desc.get("resources", {}))
        self._made: dict[str, Memo] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._resource, name)
        if name not in self._collections:
            return attr

        def collection() -> Memo:
            made = self._made.get(name)
            if made is None:
                made = self._made[name] = Memo(attr())
            return made

        return collection
