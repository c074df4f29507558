"""A table of records by name, shared by the scalar and the tensor op registries."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar


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
