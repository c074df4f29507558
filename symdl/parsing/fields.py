"""The command line's small inputs: a point ``x=-2,y=1/3`` (``--at``) and a list of names ``a,b``
(``--wrt``), read field by field with the same name checks and exact numbers as expressions."""

from __future__ import annotations

import re
from typing import Iterator

import sympy as sp

from symdl.errors import ParseError
from symdl.parsing._build import Builder
from symdl.parsing._names import NAME, NUMBER, check_name, check_text, is_reserved, quote

_VALUE = re.compile(rf"(?P<top>[+-]?{NUMBER})(?:/(?P<bottom>{NUMBER}))?", re.ASCII)
_SPACE = " \t\r\n"


def parse_point(text: str) -> dict[str, sp.Rational]:
    """Parse ``x=-2,y=0.5,z=1/3`` (the command line's ``--at``) into exact values."""
    build, point = Builder(check_text(text, "point")), {}
    for field, position in _fields(text):
        name_part, equals, value_part = field.partition("=")
        if not equals:
            raise ParseError(f"expected NAME=VALUE, found {quote(field)}", text, position)
        name = _variable(name_part.rstrip(_SPACE), text, position)
        if name in point:
            raise ParseError(f"{quote(name)} is given twice", text, position)
        value_position = position + len(name_part) + 1 + len(value_part) - len(value_part.lstrip(_SPACE))
        point[name] = _value(value_part.strip(_SPACE), build, text, value_position)
    return point


def parse_names(text: str) -> list[str]:
    """Parse ``a,b`` (the command line's ``--wrt``): valid variable names, each once."""
    names: list[str] = []
    for field, position in _fields(check_text(text, "list of names")):
        name = _variable(field, text, position)
        if name in names:
            raise ParseError(f"{quote(name)} is listed twice", text, position)
        names.append(name)
    return names


def _fields(text: str) -> Iterator[tuple[str, int]]:
    """Comma-separated fields, stripped of whitespace, each with the position where it starts."""
    start = 0
    for piece in text.split(","):
        yield piece.strip(_SPACE), start + len(piece) - len(piece.lstrip(_SPACE))
        start += len(piece) + 1


def _variable(name: str, text: str, position: int) -> str:
    """A name that can stand for a variable: well-formed, allowed, not a function or constant."""
    if not name:
        raise ParseError("expected a name, found nothing", text, position)
    check_name(name, text, position)
    if not NAME.fullmatch(name):
        raise ParseError(f"{quote(name)} is not a valid name", text, position)
    if is_reserved(name):
        raise ParseError(f"{quote(name)} is a function or constant, not a variable", text, position)
    return name


def _value(literal: str, build: Builder, text: str, position: int) -> sp.Rational:
    """A signed decimal, or a fraction of two, exactly; nothing else is a value."""
    match = _VALUE.fullmatch(literal)
    if match is None:
        raise ParseError(f"{quote(literal or 'nothing')} is not a number (write e.g. -2, 0.5, 1e-3 or 1/3)",
                         text, position)
    top = build.number(match["top"].lstrip("+-"))
    top = -top if match["top"].startswith("-") else top
    if match["bottom"] is None:
        return top
    bottom = build.number(match["bottom"])
    if bottom == 0:
        raise ParseError(f"{quote(literal)} divides by zero", text, position)
    return top / bottom
