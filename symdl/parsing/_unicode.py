"""The Unicode that symdl's text pages write and the text parser reads back: sub- and superscripts
and Greek letters, each read from Unicode's own character data (a character's ``<sub>`` or
``<super>`` decomposition, a letter's name), so the parser keeps no copy of the printer's tables
and imports nothing from :mod:`symdl.printing`.
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
# α is alpha: the small letters by their Unicode names, which are SymPy's (lamda); ς, "final sigma", has none
GREEK = {chr(code): name for code in range(0x3B1, 0x3CA)
         if (name := unicodedata.name(chr(code)).removeprefix("GREEK SMALL LETTER ").lower()).isalpha()}


def character_class(characters: str) -> str:
    """A regular-expression class of exactly these characters."""
    return "[" + "".join(f"\\u{ord(c):04x}" for c in sorted(set(characters))) + "]"


def lowered(index: str) -> str:
    """The plain characters of a run of subscripts: ₁₂ is 12."""
    return "".join(SUBSCRIPTS[c] for c in index)


def exponent(raised: str) -> str:
    """The integer of a run of superscript digits with an optional minus: ⁻¹ is -1."""
    return "".join("-" if c in SUPERSCRIPT_MINUS else SUPERSCRIPT_DIGITS[c] for c in raised)
