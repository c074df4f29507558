r"""Rewriting the math of notes into what :func:`symdl.parsing.parse_latex` reads.

Every rewrite keeps the map back to the file (:class:`Located`). Struck-through
groups (``\cancel``, ``\sout``…) are removed; ``\text{…}`` words and units (with
their exponent, ``\text{ m}^3``) become a TEXT mark, dropped at the edge of a side
and leaving a side with a word inside it unknown; ``\text{ReLU}(x)`` is the
function; presentation wrappers (``\underline``, ``\boxed``, ``\mathbf``) are
unwrapped; ``150,528`` and ``150{,}528`` lose their separator; Unicode operators
become their LaTeX commands. What has meaning the parser lacks (``\overbrace``,
``cases``) is left alone: the parser refuses it, and that side is skipped.
"""

from __future__ import annotations

import re

from symdl.audit.located import Located, join
from symdl.parsing._names import resolve

TEXT = "\x00"  # where a \text{...} word stood

_UNICODE = {"−": "-", "–": "-", "×": r"\times ", "·": r"\cdot ", "⋅": r"\cdot ", "⇒": r"\Rightarrow ",
            "⟹": r"\Rightarrow ", "≈": r"\approx ", "→": r"\to ", "≡": r"\equiv ", "≠": r"\neq ",
            "≤": r"\leq ", "≥": r"\geq ", "÷": r"\div ", "σ": r"\sigma ", "π": r"\pi ", "\u00a0": " "}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))
_STRUCK = ("cancel", "bcancel", "xcancel", "sout", "st", "xout", "cancelto")
_WORDS = ("text", "textrm", "textit", "textbf", "textsf", "texttt", "mbox", "textcircled", "textnormal")
_WRAPPERS = ("underline", "boxed", "mathbf", "boldsymbol", "bm", "mathit", "mathsf", "pmb", "color")
_DROPPED = re.compile(r"\\(?:displaystyle|textstyle|limits|nolimits|nonumber|notag|left\.|right\.(?=\s*$))"
                      r"|\\(?:label|tag)\*?\{[^{}]*\}")
_ALIGNED = re.compile(r"\\(?:begin|end)\{(?:aligned|alignedat|split|gathered|align\*?|gather\*?)\}(?:\{\d+\})?")
_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:(?:,|\{,\})\d{3})+(?![\d.]|\{,\})")
_COMMAND = re.compile(r"\\([A-Za-z]+)\s*")


def _group_end(text: str, start: int) -> int:
    """The index just past the balanced {...} group opening at ``start`` (or -1 if none)."""
    if start >= len(text) or text[start] != "{":
        return -1
    depth, i = 0, start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
        i += 1
    return -1


def _superscript_end(text: str, at: int) -> int:
    """Past a ``^{...}`` or ``^c`` right after ``at`` (spaces allowed), else ``at``."""
    i = at
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "^":
        end = _group_end(text, i + 1)
        return end if end > 0 else min(i + 2, len(text))
    return at


def _rewrite_commands(math: Located) -> Located:
    """One pass over the commands that take a braced argument: struck, words, wrappers."""
    text, pieces, position = math.text, [], 0
    for match in _COMMAND.finditer(text):
        name, after = match.group(1), match.end()
        if match.start() < position or name not in _STRUCK + _WORDS + _WRAPPERS:
            continue
        end = _group_end(text, after)
        if end < 0:
            continue
        pieces.append(math[position:match.start()])
        anchor = (math.offsets[match.start()],)
        if name in _WRAPPERS and name != "color":  # keep the argument as a group: \underline{x} -> {x}
            pieces += [Located("{", anchor), _rewrite_commands(math[after + 1:end - 1]), Located("}", anchor)]
        else:
            if name == "cancelto":  # \cancelto{value}{struck}
                end = max(end, _group_end(text, end))
            replacement = ""  # struck-through, or \color{name}
            if name in _WORDS:
                replacement, end = _word(text[after + 1:end - 1], text, end)
            pieces.append(Located(replacement, anchor * len(replacement)))
        position = end
    pieces.append(math[position:])
    return join(pieces)


def _word(word: str, text: str, end: int) -> tuple[str, int]:
    r"""\text{ReLU}(x) is a call; any other word (and a unit's exponent) is a TEXT mark."""
    rest = text[end:].lstrip()
    plain = word.strip()
    if (rest.startswith("(") or rest.startswith(r"\left(")) and re.fullmatch("[A-Za-z]+", plain) \
            and resolve(plain.lower()):
        return rf"\operatorname{{{plain}}}", end
    return f" {TEXT} ", _superscript_end(text, end)


def clean(math: Located) -> Located:
    """The block rewritten for splitting and parsing, every character still located."""
    math = math.sub(_UNICODE_RE, lambda m: _UNICODE[m.group()])
    math = _rewrite_commands(math)
    math = math.sub(_DROPPED, lambda m: " ")
    math = math.sub(_ALIGNED, lambda m: " ")
    math = math.sub(_THOUSANDS, lambda m: m.group().replace("{,}", "").replace(",", ""))
    return math.sub(re.compile("~"), lambda m: " ")
