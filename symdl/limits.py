"""Bounds on the work one input may cause, so no expression can hang symdl.

Every limit is documented here, checked where the work happens, and adjustable
with :func:`configure` (``symdl.configure_limits``), ``--limit NAME=VALUE`` on the
command line, or the ``limited`` context manager in tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Iterator

from symdl.errors import SymdlError


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
    # decimal exponent of any number in backprop's numeric passes (values, local and global gradients):
    # 10**-10000 <= |v| <= 10**10000. A bomb guard, not a float64 range (log(1 + exp(900)) passes through
    # 1e391): it stops a tower such as x**x**x**x**x at 3 one step before its next exponent would need
    # trillions of digits, and keeps each op cheap (exp of a number near 10**10000 takes 0.02 s in
    # mpmath; near 10**100000, 1.5 s)
    max_magnitude: int = 10_000
    # working precision, in decimal digits, backprop may double up to while two passes disagree
    max_working_digits: int = 4_000
    max_notes_bytes: int = 2_000_000  # bytes of one file of notes read by ``symdl audit``
    max_equations: int = 20_000  # sides of equalities in one file of notes (each is parsed once)


LIMITS = Limits()


def configure(**changes: int) -> Limits:
    """Change limits for this process; unknown names and values that are not positive whole numbers
    are an error, not silently ignored."""
    for name, value in changes.items():
        if not hasattr(LIMITS, name):
            raise SymdlError(f"unknown limit {name!r}; known: {', '.join(vars(LIMITS))}")
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise SymdlError(f"the limit {name} must be a positive whole number, not {value}")
    for name, value in changes.items():
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
