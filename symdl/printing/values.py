"""How a worksheet writes a quantity: its name (∂f/∂x for the key ``df/dx``) and its value (a whole
number in full, any other to six digits, an array in full up to a 20×20 feature map), with the
minus sign U+2212 for a person and ASCII for JSON; and how a circuit's box states a value in a
line (:func:`value_text`: ``= −4``, ``∈ ℝ²ˣ²  ‖·‖ = 0.304  [0.1, 0.2, …]``), in text and in TeX.

A leaf module: the worksheet models use it for the strings their JSON carries (a verdict's wrong
entries, a slip's numbers), the text printer for its pages, the circuit printers for their boxes,
and it imports none of them.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable, Optional

import numpy as np
import sympy as sp

from symdl.numbers import MINUS, SUPERSCRIPT_DIGITS, format_value, number_text, short, shown, size_text, squeezed
from symdl.printing.names import written
from symdl.printing.texsafe import tex_number

SHOWN_IN_FULL = 400  # a worksheet prints whole arrays up to this many entries (a 20×20 feature map)


_INDEXED = re.compile(r"(.+)\[(\s*\d+\s*(?:,\s*\d+\s*)*)\]")
_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def entry_of(key: str) -> Optional[tuple[str, str]]:
    """A key naming one entry of an array, the file's zero-based ``out[1,1]``: the array's key and the
    entry's one-based position, ("out", "2,2"), as a textbook counts; None for any other key."""
    indexed = _INDEXED.fullmatch(key)
    return None if indexed is None else (indexed.group(1),
                                         ",".join(str(int(i) + 1) for i in indexed.group(2).split(",")))


def label(key: str) -> str:
    """How a quantity's key is written: ∂f/∂x for ``df/dx``, a Greek letter's name as the letter (α); an
    entry one-based and subscripted, as a textbook writes it: out₂,₂ for the file's zero-based
    ``out[1,1]``, (∂s/∂x)₁,₁ for ``ds/dx[0,0]``, (h1)₁ for ``h1[0]``."""
    entry = entry_of(key)
    if entry:
        base, position = label(entry[0]), entry[1].translate(_SUBSCRIPT_DIGITS)
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


@dataclasses.dataclass(frozen=True)
class Notation:
    """The glyphs a box's value line is written in: plain text (a browser's SVG, a screen reader's
    title) or TeX math (a page), so both say the same thing."""

    scalar: Callable[[object], str]  # a number in full (six digits)
    entry: Callable[[float], str]  # an entry or a norm, to three digits: the table below has the rest
    reals: Callable[[tuple[int, ...]], str]  # the set an array of this shape lies in
    size: Callable[[tuple[int, ...]], str]
    member: str
    norm: str
    rest: str  # the norm of the entries that are not masked
    masked: str  # "{size}: {count} masked"
    transposed: str
    gap: str  # between the parts of a line
    dots: str


def _three_digits_tex(x: float) -> str:
    return tex_number(float(f"{x:.3g}"))


TEXT = Notation(shown, lambda x: short(x).replace("inf", "∞"),
                lambda shape: "ℝ" + size_text(shape).translate(SUPERSCRIPT_DIGITS).replace("×", "ˣ"),
                size_text, "∈", "‖·‖", "‖rest‖", "{size}: {count} masked", "ᵀ", "  ", "…")
TEX = Notation(tex_number, _three_digits_tex,
               lambda shape: r"\mathbb{R}^{%s}" % r"\times ".join(map(str, shape)),
               lambda shape: r"{\times}".join(map(str, shape)), r"\in", r"\|{\cdot}\|", r"\|\mathrm{rest}\|",
               r"{size}\colon {count}\ \text{{masked}}", r"^{\top}", r"\ \ ", r"\dots")
SUMMARY_ENTRIES = 2  # entries of an array a box shows before "…"


def value_text(value, narrow: bool = False, notation: Notation = TEXT) -> str:
    """A box's value with its relation, as a person writes it: ``= −4``; a short vector whole,
    ``= [0.5, −0.1]`` (a column ``[0.5, −0.1]ᵀ``); a zero array ``= 0 ∈ ℝ²ˣ²``; any other array by the
    set it lies in, its Frobenius norm and its first entries, ``∈ ℝ²ˣ²  ‖·‖ = 0.304  [0.1, 0.2, …]``;
    a masked one (−∞ entries) ``3×3: 3 masked, ‖rest‖ = 1.38  [0.24, −∞, …]``. Narrow (on a page) an
    array's entries are left out: the table below the circuit holds them."""
    n = notation
    array = np.asarray(value, dtype=float) if isinstance(value, np.ndarray) else None
    if array is None or array.size == 1:
        return f"= {n.scalar(value if array is None else array.item())}"
    shown_entries = [n.entry(float(x)) for x in array.ravel()[:SUMMARY_ENTRIES]]
    if array.size <= SUMMARY_ENTRIES and sum(d > 1 for d in array.shape) == 1:  # a short vector, whole
        column = array.ndim == 2 and array.shape[1] == 1
        return f"= [{', '.join(shown_entries)}]{n.transposed if column else ''}"
    entries = "" if narrow else f"{n.gap}[{', '.join(shown_entries)}, {n.dots}]"
    masked = np.isneginf(array)
    if masked.any():
        rest = n.entry(float(np.linalg.norm(array[~masked])))
        count = n.masked.format(size=n.size(array.shape), count=int(masked.sum()))
        return f"{count}, {n.rest} = {rest}{entries}"
    if not array.any():
        return f"= 0 {n.member} {n.reals(array.shape)}"
    return f"{n.member} {n.reals(array.shape)}{n.gap}{n.norm} = {n.entry(float(np.linalg.norm(array)))}{entries}"
