"""A table of records by name, shared by the scalar and the tensor op registries."""

from __future__ import annotations

import dataclasses
from typing import Callable, Generic, Optional, Protocol, TypeVar


class Named(Protocol):
    name: str


R = TypeVar("R", bound=Named)


class Registry(dict, Generic[R]):
    """``registry[name]`` names the known records when it fails; registering a name twice is an error."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def register(self, record: R) -> R:
        if record.name in self:
            raise ValueError(f"{self.kind} {record.name!r} is registered twice")
        self[record.name] = record
        return record

    def __missing__(self, name: str):
        raise KeyError(f"no {self.kind} named {name!r}; known: {', '.join(sorted(self))}")


@dataclasses.dataclass(frozen=True)
class Slip:
    """A classic mistake with an op, so a grader can name it when a student's number matches.

    ``local(out, args, extra)`` returns the local derivatives (scalar ops) or Jacobians
    (tensor ops, one per input) that the mistake uses instead of the right ones;
    ``forward(args, extra)`` the output it computes instead. Either may return a list
    of candidates (one per term, say); ``extra`` is the folded constant or the op's
    keyword parameters.
    """

    text: str
    local: Optional[Callable] = None
    forward: Optional[Callable] = None
