"""How a worksheet writes a quantity: its name (∂f/∂x for the key ``df/dx``) and its value (a whole
number in full, any other to six digits, an array in full up to a 20×20 feature map), with the
minus sign U+2212 for a person and ASCII for JSON.

A leaf module: the worksheet models use it for the strings their JSON carries (a verdict's wrong
entries, a slip's numbers), the text printer for its pages, and it imports neither.
"""

from __future__ import annotations

import re

import numpy as np
import sympy as sp

from symdl.numbers import MINUS, format_value, number_text, squeezed
from symdl.printing.names import written

SHOWN_IN_FULL = 400  # a worksheet prints whole arrays up to this many entries (a 20×20 feature map)


_INDEXED = re.compile(r"(.+)\[(\s*\d+\s*(?:,\s*\d+\s*)*)\]")
_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def label(key: str) -> str:
    """How a quantity's key is written: ∂f/∂x for ``df/dx``, a Greek letter's name as the letter (α); an
    entry one-based and subscripted, as a textbook writes it: out₂,₂ for the file's zero-based
    ``out[1,1]``, (∂s/∂x)₁,₁ for ``ds/dx[0,0]``, (h1)₁ for ``h1[0]``."""
    indexed = _INDEXED.fullmatch(key)
    if indexed:
        base = label(indexed.group(1))
        position = ",".join(str(int(i) + 1) for i in indexed.group(2).split(",")).translate(_SUBSCRIPT_DIGITS)
        return f"({base}){position}" if "/" in base or base[-1].isdigit() else base + position  # (h1)₁, not h1₁
    key, space, note = key.partition(" (")  # a key's note, "df/dq (local)", stays as written
    if key.startswith("d/d"):  # a derivative problem's derivative of f(x), as a function: df/dx
        return f"df/d{written(key[3:], lower=False)}" + space + note
    if "/" in key and key.startswith("d"):
        top, bottom = key.split("/", 1)
        return f"∂{written(top[1:], lower=False)}/∂{written(bottom[1:], lower=False)}" + space + note
    return written(key, lower=False) + space + note


def show(value) -> str:
    """A formula as text, a number to six digits, an array in full (rows on their own lines; one of rank 3
    or more without its length-1 axes, its shape after it), as a
    person reads it: every minus sign of a number U+2212 (−0.5, 1e−06), a masked score −∞. A formula
    stays as typed."""
    if isinstance(value, (sp.Basic, str)):
        return str(value)
    array, shape = squeezed(np.asarray(value, dtype=float))  # a 1×1×3×3 kernel as its matrix, then its shape
    return show_ascii(array).replace("-", MINUS).replace("inf", "∞") + shape


def show_ascii(value) -> str:
    """:func:`show` with ASCII hyphen-minus signs: for the strings JSON carries (a verdict's wrong
    entries, a slip's numbers), which the printers turn to U+2212 as they print them."""
    if isinstance(value, (sp.Basic, str)):
        return str(value)
    array = np.asarray(value, dtype=float)
    if array.size > SHOWN_IN_FULL:
        return format_value(array)
    if array.size == 1:
        return number_text(array.item())
    text = np.array2string(array, separator=", ", max_line_width=100, threshold=SHOWN_IN_FULL,
                           formatter={"float_kind": number_text})
    return text if array.ndim > 1 else " ".join(text.split())

