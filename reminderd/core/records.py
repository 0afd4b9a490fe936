"""What the core's records are made of.

A record (a config, a dose, a slot, a check-in, a decision) is a `typing.NamedTuple`:
immutable, equal and hashed by its fields, changed with `_replace`. Every command defines
these classes as it starts, and a NamedTuple costs one small `eval` to define where a
frozen dataclass writes and compiles six methods: about a million instructions a class
instead of four, some 70 million of the 360 million `reminderd take` ran. A decision that
carries nothing (give up, done, stop) is a `Marker`, so that two markers of different
kinds are never equal, as two empty tuples would be.
"""

from __future__ import annotations


class Marker:
    """A decision with nothing to carry: equal to the markers of its own kind only."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
