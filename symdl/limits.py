"""Bounds on the work one input may cause, so no expression can hang symdl.

Every limit is documented here, checked where the work happens, and adjustable
with :func:`configure` (or the ``limited`` context manager in tests).
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Iterator


@dataclasses.dataclass
class Limits:
    max_text_length: int = 20_000  # characters of expression text
    max_name_length: int = 64  # characters in one identifier
    max_number_length: int = 100  # characters in one numeric literal
    max_depth: int = 200  # nesting of parentheses / function calls / operators
    max_exponent: int = 1_000  # |n| of a numeric exponent x**n
    max_literal_digits: int = 1_000  # digits of a number folded from constants, e.g. 9**9
    max_nodes: int = 20_000  # nodes in one computational graph
    # arguments of one n-ary call (max, min): SymPy's Max/Min compare every pair of arguments, and each
    # input's gradient is Heaviside(x_i - Max(the others)), so the cost grows with the cube of the count
    # (10 arguments: a kernel in 0.7 s; 20: 11 s; 1000: hours)
    max_arguments: int = 10
    # decimal order of magnitude of any number in backprop's numeric passes (values, local and global
    # gradients): |v| < 10**308 keeps each a finite float64 when reported, and stops a tower such as
    # x**x**x**x**x at 3 one step before its next exponent would need trillions of digits
    max_magnitude: int = 308
    max_notes_bytes: int = 2_000_000  # bytes of one file of notes read by ``symdl audit``
    max_equations: int = 20_000  # sides of equalities in one file of notes (each is parsed once)


LIMITS = Limits()


def configure(**changes: int) -> Limits:
    """Change limits for this process; unknown names are an error, not silently ignored."""
    for name, value in changes.items():
        if not hasattr(LIMITS, name):
            raise TypeError(f"unknown limit {name!r}; known: {', '.join(vars(LIMITS))}")
        setattr(LIMITS, name, int(value))
    return LIMITS


@contextlib.contextmanager
def limited(**changes: int) -> Iterator[Limits]:
    """Temporarily change limits (restored on exit)."""
    saved = dataclasses.replace(LIMITS)
    try:
        yield configure(**changes)
    finally:
        for field in dataclasses.fields(Limits):
            setattr(LIMITS, field.name, getattr(saved, field.name))
