"""What a cell of an HTML table holds: a value typeset (an array as a bracketed matrix, as the PDF's
tables set it, not a Python list) and a quantity's name as the formulas beside it write it.

A value is MathML only where it is an array: a number stays text, so a column of numbers lines up and
reads as the text printer's. An array too large to read at a glance is its summary (shape and range),
with the whole array one click away in a ``<details>`` (no script).
"""

from __future__ import annotations

import re

import numpy as np
import sympy as sp

from symdl.numbers import MINUS, SMALL_ARRAY, number_text, shown, squeezed
from symdl.printing.mathml import escaped, inline, mathml
from symdl.printing.values import SHOWN_IN_FULL, entry_of


def value_cell(value) -> str:
    """A number as text (−4, 0.731059); an array as a matrix in brackets, a vector (rank 1) as one row,
    an n×1 array as a column; one with length-1 axes as its matrix and its shape; a large one as its
    summary with the whole array under it, collapsed."""
    if not isinstance(value, np.ndarray) or value.size == 1:
        return escaped(shown(value))
    matrix, shape = squeezed(value)
    if value.size <= SMALL_ARRAY:
        return inline(array_mathml(matrix)) + escaped(shape)
    summary = escaped(shown(value))  # "8×8 array, entries from −1 to 1"
    if value.size > SHOWN_IN_FULL:  # a page of numbers helps no one: the worksheet's text prints it
        return summary
    whole = inline(array_mathml(matrix)) + escaped(shape)
    return f'<details class="array"><summary>{summary}</summary>{whole}</details>'


def array_mathml(array: np.ndarray) -> str:
    """An array as nested bracketed tables: rank 1 one row, rank 2 its rows, rank k a row of its
    rank-(k−1) slices; each entry to four significant digits."""
    if array.ndim == 0:
        return _entry(float(array))
    rows = np.atleast_2d(array) if array.ndim <= 2 else array[np.newaxis]
    body = "".join("<mtr>" + "".join(f"<mtd>{array_mathml(x)}</mtd>" for x in row) + "</mtr>" for row in rows)
    return f'<mrow><mo>[</mo><mtable class="array">{body}</mtable><mo>]</mo></mrow>'


def _entry(x: float) -> str:
    """One entry: −0.5, ∞, and 1.2 × 10⁻⁵ as a power of ten, not 1.2e−05."""
    def person(text: str) -> str:
        return text.replace("-", MINUS).replace("inf", "∞")
    text = number_text(x, 4)
    if "e" not in text:
        return f"<mn>{person(text)}</mn>"
    mantissa, exponent = text.split("e")
    power = f"<msup><mn>10</mn><mn>{person(str(int(exponent)))}</mn></msup>"
    return f"<mrow><mn>{person(mantissa)}</mn><mo>×</mo>{power}</mrow>"


def quantity_name(key: str) -> str:
    """A worksheet's quantity key as MathML, written as the formula column writes the same name: z_hi
    as z with index hi, ``dL/dW`` as the fraction ∂L/∂W, the file's zero-based ``out[1,1]`` as out₂,₂;
    a note after the key, ``df/dq (local)``, as words."""
    key, space, note = key.partition(" (")
    entry = entry_of(key)
    base = entry[0] if entry else key
    if "/" in base and base.startswith("d"):
        top, bottom = base.split("/", 1)
        base, bracketed = f"∂{top[1:]}/∂{bottom[1:]}", True
    else:
        bracketed = base[-1:].isdigit()  # (h1)₁, not h1₁
    name = mathml(sp.Symbol(base))
    if entry:
        name = f"<mo>(</mo>{name}<mo>)</mo>" if bracketed else name
        name = f"<msub><mrow>{name}</mrow><mn>{entry[1]}</mn></msub>"
    words = f"<mtext>&#xA0;({escaped(note)}</mtext>" if space else ""
    return inline(name + words)


_OCR = re.compile(r"\s*\(OCR lines ([^()]*)\)")  # where a source stands in the OCR of the notes
_IN_PYTORCH = re.compile(r"(?:^|(?<=[.;])\s+)(In PyTorch: .*)$", re.DOTALL)  # a text's closing sentences


def set_aside(text: str) -> tuple[str, list[str]]:
    """``text`` without where it stands in the notes' OCR ("(OCR lines ≈1709–1805)") and without its
    closing "In PyTorch: …" sentences, and those, for a small note below the page: a statement reads as
    mathematics, its provenance and API names are for whoever wants them."""
    asides = [f"In the OCR of the notes: lines {where}." for where in _OCR.findall(text)]
    text = _OCR.sub("", text)
    found = _IN_PYTORCH.search(text)
    if found:
        asides.append(found.group(1))
        text = text[:found.start()].rstrip()
    return text, asides


def asides_footer(asides) -> list[str]:
    """The set-aside notes of a page, each once, small, below everything else."""
    notes = "".join(f"<p>{escaped(aside)}</p>" for aside in dict.fromkeys(asides))
    return [f'<footer class="asides">\n{notes}\n</footer>'] if notes else []
