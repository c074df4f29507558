"""The Unicode letters symdl's pages write and its text parser reads back: Greek letters by their
SymPy names, and the raised and lowered letters and digits, each read from Unicode's own character
data (a character's ``<sub>`` or ``<super>`` decomposition, a letter's name). One table for both
sides (:mod:`symdl.printing.names` writes with it, :mod:`symdl.parsing._unicode` reads with it), so
every letter the printer writes reads back. A leaf module: it imports nothing from symdl.
"""

from __future__ import annotations

import string
import unicodedata

# the blocks that hold Unicode's small raised and lowered letters and digits
_BLOCKS = ((0xB2, 0xB9), (0x2B0, 0x2FF), (0x1D2C, 0x1DBF), (0x2070, 0x209F), (0x2C7C, 0x2C7C))


def _scripts(kind: str) -> dict[str, str]:
    """Each character that Unicode decomposes as ``kind`` of one character, mapped to that character."""
    found = {}
    for start, stop in _BLOCKS:
        for code in range(start, stop + 1):
            parts = unicodedata.decomposition(chr(code)).split()
            if len(parts) == 2 and parts[0] == kind:
                found[chr(code)] = chr(int(parts[1], 16))
    return found


_LOWER = string.digits + string.ascii_lowercase
SUBSCRIPTS = {c: plain for c, plain in _scripts("<sub>").items() if plain in _LOWER}  # x₁ is x_1, sᵢ is s_i
_RAISED = _scripts("<super>")
SUPERSCRIPT_DIGITS = {c: plain for c, plain in _RAISED.items() if plain in string.digits}
SUPERSCRIPT_MINUS = "".join(c for c, plain in _RAISED.items() if plain == "\u2212")
RAISED_LETTERS = {c: plain for c, plain in _RAISED.items() if plain in string.ascii_lowercase}  # eˣ

# α is alpha: the small letters by their Unicode names, which are SymPy's (lamda); ς, "final sigma", by
# LaTeX's name for it, varsigma, which symdl's LaTeX parser reads \varsigma as and SymPy prints as \varsigma
_FINAL_SIGMA = "\u03c2"
GREEK = {chr(code): "varsigma" if chr(code) == _FINAL_SIGMA
         else unicodedata.name(chr(code)).removeprefix("GREEK SMALL LETTER ").lower() for code in range(0x3B1, 0x3CA)}
GREEK_LETTER = {name: letter for letter, name in GREEK.items()}  # alpha: α, as a page writes the name
LOWERED = {plain: c for c, plain in SUBSCRIPTS.items()}  # 1: ₁, i: ᵢ, as a page lowers an index
RAISED = {plain: c for c, plain in (SUPERSCRIPT_DIGITS | RAISED_LETTERS).items()}  # 2: ², x: ˣ, as a page raises
