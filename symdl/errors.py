"""The errors symdl raises on bad input; the command line maps them to exit status 2."""

from __future__ import annotations


class SymdlError(ValueError):
    """Base class: a user-facing problem with the input, never a bug in symdl."""


class ParseError(SymdlError):
    """Text that is not a valid expression; names the offending token and its position."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        self.text = text
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where}")


class LimitError(SymdlError):
    """Input whose cost would explode; names the limit and how to raise it."""

    def __init__(self, what: str, value: object, limit_name: str, limit: object):
        self.limit_name, self.value = limit_name, value  # the value is how far the work got: tests read it
        super().__init__(
            f"{what} ({value}) exceeds the limit {limit_name}={limit}; "
            f"raise it with --limit {limit_name}=... or symdl.configure_limits({limit_name}=...) if you mean it"
        )
