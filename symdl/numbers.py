"""How symdl writes a number, in one place: six significant digits, whole numbers in full, small
arrays in full, and U+2212 for a minus sign wherever a person reads it (JSON keeps ASCII).

Every printer formats its numbers here, so a value reads the same in the terminal, a circuit, a
LaTeX table and a page.
"""

from __future__ import annotations

import fractions
import math
import re
from typing import Optional

import numpy as np
import sympy as sp

from symdl.letters import RAISED

SMALL_ARRAY = 36  # arrays with at most this many elements (a 4×4 weight, a 6×6 image) are printed in full
MINUS = "\u2212"  # the minus sign; a hyphen is not one


def format_value(value) -> str:
    """Six significant digits, trailing zeros dropped, a whole number in full (−4, 0.731059, 15500,
    1.5e+20; 1.00000e+476 or 1.00000e-400 beyond a float's range); a small array in full at four
    digits, one of rank 3 or more without its length-1 axes and with its shape, a large one by its
    shape and range (never by its shape alone)."""
    if isinstance(value, sp.Number) and not value.is_zero and float(value) in (0, math.inf, -math.inf):
        return str(sp.Float(value, 6))
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return format_value(value.item())
        matrix, shape = squeezed(value)
        if shape:
            return f"{format_value(matrix)}{shape}"
        if value.size > SMALL_ARRAY:
            low, high = number_text(value.min()), number_text(value.max())
            return f"{size_text(value.shape)} array, entries from {low} to {high}"
        entries = {"float_kind": lambda v: number_text(v, 4)}  # [2, 1, 0.1], not NumPy's [2. , 1. , 0.1]
        return " ".join(np.array2string(value.astype(float), separator=", ", formatter=entries).split())
    return number_text(float(value))


def squeezed(value: np.ndarray) -> tuple[np.ndarray, str]:
    """A 1×1×2×2 kernel as its 2×2 matrix and " (1×1×2×2)", its shape to say after it; an array of rank 2
    or less, one with no length-1 axis or one number, as it is and ""."""
    if value.ndim > 2 and 1 in value.shape and value.size > 1:
        return np.squeeze(value), f" ({size_text(value.shape)})"
    return value, ""


def size_text(shape: tuple[int, ...]) -> str:
    """2×4×2×4, as a textbook states a size."""
    return "×".join(map(str, shape))


def number_text(value: float, digits: int = 6) -> str:
    """A whole number in full below 10¹⁵ (120422400, not 1.20422e+08), any other to ``digits``
    significant digits; a negative zero is 0."""
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}"


_POWER_OF_TEN = re.compile(r"(?<![\d.])1e([+-])0*(\d+)")  # 1e-05, a written constant such as ε, not 2.5e-07
SUPERSCRIPT_DIGITS = str.maketrans({d: RAISED[d] for d in "0123456789"})


def shown(value) -> str:
    """:func:`format_value` with a true minus sign (−4, not -4), ∞ for infinity and a power of ten as
    one (ε = 10⁻⁵, not 1e−05), for text a person reads."""
    text = _POWER_OF_TEN.sub(_power, format_value(value))
    return text.replace("-", MINUS).replace("inf", "∞")


def _power(match: re.Match) -> str:
    sign = "⁻" if match.group(1) == "-" else ""
    return "10" + sign + match.group(2).translate(SUPERSCRIPT_DIGITS)


def short(x: float) -> str:
    """Three significant digits, true minus, a negative zero as 0: a circuit's summary of an array is
    for reading, the table beside it holds the rest."""
    return "0" if x == 0 else f"{x:.3g}".replace("-", MINUS)


_VULGAR = {(1, 2): "½", (1, 3): "⅓", (2, 3): "⅔", (1, 4): "¼", (3, 4): "¾", (1, 6): "⅙", (1, 8): "⅛"}
SIMPLE_DENOMINATOR = 16  # a gate's constant p/q with q at most this is written as the fraction


def constant_text(value) -> str:
    """A gate's constant as its glyph writes it, the same for a scalar gate (SymPy's 1/2) and a tensor
    gate (NumPy's 0.5): ½, ⅓, 2/7, a decimal where it ends (2.5, 0.1), the root of one as a person
    writes it (1/√2 for attention's scale by 1/√d), any other to three digits; a SymPy rational
    exactly (1/17); a true minus sign."""
    x = float(value)
    if not math.isfinite(x):  # a constant beyond a float's range, as SymPy holds it
        return str(value).replace("-", MINUS)
    exact = fractions.Fraction(abs(int(value.p)), int(value.q)) if isinstance(value, sp.Rational) else _simple(abs(x))
    sign, square = MINUS if x < 0 else "", _simple(x * x)
    if exact is not None:
        p, q = exact.numerator, exact.denominator
        return sign + (_VULGAR.get((p, q)) or (number_text(abs(x)) if _decimal_ends(q) else f"{p}/{q}"))
    if square is not None and square.numerator == 1:
        return f"{sign}1/√{square.denominator}"
    if square is not None and square.denominator == 1:
        return f"{sign}√{square.numerator}"
    return short(x)


def _decimal_ends(q: int) -> bool:
    """Whether 1/q is a decimal that ends (q = 2ᵃ5ᵇ): 2.5 stays 2.5, 2/7 is a fraction."""
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    return q == 1


def _simple(x: float) -> Optional[fractions.Fraction]:
    """``x`` as p/q with q ≤ :data:`SIMPLE_DENOMINATOR`, if it is one (to a float's rounding)."""
    exact = fractions.Fraction(x).limit_denominator(SIMPLE_DENOMINATOR)
    return exact if exact and math.isclose(float(exact), x, rel_tol=1e-12) else None
