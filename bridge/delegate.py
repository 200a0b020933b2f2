"""One typed way for an object to offer a part's method as its own: `forward("part", Part.m)`
in a class body gives the class a method `m` with `Part.m`'s signature and docstring that calls
`self.part.m(...)`. The facade and the connections service use it so that a forwarded method's
parameters are written once, at the implementation, not copied at every layer.

A leaf: imports nothing from bridge. Must not add behaviour to the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


def forward(part: str, method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[Any, P], R]:
    """A method that calls `method` on the attribute `part` of its instance."""

    def call(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(getattr(self, part), *args, **kwargs)

    call.__name__ = call.__qualname__ = getattr(method, "__name__", "forwarded")
    call.__doc__ = method.__doc__
    return call
