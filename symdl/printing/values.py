"""How a worksheet writes a quantity: its name (∂f/∂x for the key ``df/dx``) and its value (a whole
number in full, any other to six digits, an array in full up to a 20×20 feature map).

A leaf module: the worksheet models use it for the strings their JSON carries (a verdict's wrong
entries, a slip's numbers), the text printer for its pages, and it imports neither.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symdl.backprop import format_value, number_text

SHOWN_IN_FULL = 400  # a worksheet prints whole arrays up to this many entries (a 20×20 feature map)


def label(key: str) -> str:
    """How a quantity's key is written: ∂f/∂x for ``df/dx``; any other key as it stands."""
    if "/" in key and key.startswith("d"):
        top, bottom = key.split("/", 1)
        return f"∂{top[1:]}/∂{bottom[1:]}"
    return key


def show(value) -> str:
    """A formula as text, a number to six digits, an array in full (rows on their own lines)."""
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

