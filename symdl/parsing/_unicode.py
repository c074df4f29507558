"""The Unicode that symdl's text pages write, as the text parser reads it back: the tables are
:mod:`symdl.letters`, the printer's own (so the parser imports nothing from :mod:`symdl.printing`
and reads every letter the printer writes); here, the regular-expression classes and conversions
the tokenizer needs.
"""

from __future__ import annotations

from symdl.letters import GREEK, RAISED_LETTERS, SUBSCRIPTS, SUPERSCRIPT_DIGITS, SUPERSCRIPT_MINUS

__all__ = ["GREEK", "RAISED_LETTERS", "SUBSCRIPTS", "SUPERSCRIPT_DIGITS", "SUPERSCRIPT_MINUS",
           "character_class", "lowered", "exponent"]


def character_class(characters: str) -> str:
    """A regular-expression class of exactly these characters."""
    return "[" + "".join(f"\\u{ord(c):04x}" for c in sorted(set(characters))) + "]"


def lowered(index: str) -> str:
    """The plain characters of a run of subscripts: ₁₂ is 12."""
    return "".join(SUBSCRIPTS[c] for c in index)


def exponent(raised: str) -> str:
    """The integer of a run of superscript digits with an optional minus: ⁻¹ is -1."""
    return "".join("-" if c in SUPERSCRIPT_MINUS else SUPERSCRIPT_DIGITS[c] for c in raised)
