"""How a worksheet writes a quantity: its name (∂f/∂x for the key ``df/dx``) and its value (a whole
number in full, any other to six digits, an array in full up to a 20×20 feature map), with the
minus sign U+2212 for a person and ASCII for JSON.

A leaf module: the worksheet models use it for the strings their JSON carries (a verdict's wrong
entries, a slip's numbers), the text printer for its pages, and it imports neither.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symdl.numbers import MINUS, format_value, number_text

SHOWN_IN_FULL = 400  # a worksheet prints whole arrays up to this many entries (a 20×20 feature map)


def label(key: str) -> str:
    """How a quantity's key is written: ∂f/∂x for ``df/dx``; any other key as it stands."""
    if "/" in key and key.startswith("d"):
        top, bottom = key.split("/", 1)
        return f"∂{top[1:]}/∂{bottom[1:]}"
    return key


def show(value) -> str:
    """A formula as text, a number to six digits, an array in full (rows on their own lines), as a
    person reads it: every minus sign of a number U+2212 (−0.5, 1e−06). A formula stays as typed."""
    text = show_ascii(value)
    return text if isinstance(value, (sp.Basic, str)) else text.replace("-", MINUS)


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

