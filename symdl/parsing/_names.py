"""What a name in user text stands for, and the checks every token passes before it is built.

Shared by the text and LaTeX parsers: which names are functions (the op registry's
spellings plus call aliases) or constants, how symbols are made (always real), and
the length, depth and stack guards that keep a hostile input from running away.
"""

from __future__ import annotations

import functools
import keyword
import re
from typing import Callable, TypeVar

import sympy as sp

from symdl.errors import LimitError, ParseError
from symdl.limits import LIMITS, deep_stack
from symdl.ops import REGISTRY

T = TypeVar("T")

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
NUMBER = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"

CONSTANTS = {"pi": sp.pi, "e": sp.E, "E": sp.E}
# names SymPy's own parser reads as a number, not a variable: symdl's strings (the JSON ``derivative``) are
# SymPy-parsable, so a variable of such a name would come back as i, ∞ or NaN there. Refused, not renamed.
SYMPY_NUMBERS = {"I": "the imaginary unit", "oo": "infinity", "zoo": "complex infinity", "nan": "not a number",
                 "Catalan": "Catalan's constant", "EulerGamma": "the Euler-Mascheroni constant",
                 "GoldenRatio": "the golden ratio", "TribonacciConstant": "the tribonacci constant"}

_FRAMES_PER_LEVEL = 10  # Python frames one nesting level may take in either parser


def symbol(name: str) -> sp.Symbol:
    """The one place symbols are made: real, so every module agrees on the Symbol for a name."""
    return sp.Symbol(name, real=True)


def own_symbols(expr: sp.Basic) -> tuple[sp.Basic, dict[sp.Symbol, sp.Symbol]]:
    """A SymPy user's expression in symdl's symbols, matched by name (a plain ``Symbol('x')`` and
    symdl's real ``x`` are one variable), and the map back to the user's symbols for results."""
    if not isinstance(expr, sp.Basic):
        return expr, {}
    theirs = {s: symbol(s.name) for s in _symbols_in(expr) if s != symbol(s.name)}
    return (expr.xreplace(theirs) if theirs else expr), {ours: s for s, ours in theirs.items()}


def _symbols_in(expr: sp.Basic) -> set[sp.Symbol]:
    """The symbols of ``expr``, found without recursion (a deep expression would hit Python's limit)."""
    found, stack, seen = set(), [expr], set()
    while stack:
        node = stack.pop()
        if isinstance(node, sp.Symbol):
            found.add(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.args)
    return found


def quote(token: str) -> str:
    """A token as shown in messages: quoted, control and non-ASCII characters escaped, long ones cut."""
    shown = token if len(token) <= 40 else token[:40] + "..."
    return "'" + "".join(c if " " <= c <= "~" else ascii(c)[1:-1] for c in shown) + "'"


def check_text(text: object, what: str) -> str:
    """Refuse non-strings and over-long input before any other work is done."""
    if not isinstance(text, str):
        raise ParseError(f"the {what} must be a string, not {type(text).__name__}")
    if len(text) > LIMITS.max_text_length:
        raise LimitError(f"the {what} length", len(text), "max_text_length", LIMITS.max_text_length)
    return text


def check_depth(depth: int) -> int:
    """Counted nesting, so deep input is refused long before Python's own recursion limit."""
    if depth > LIMITS.max_depth:
        raise LimitError("the nesting depth", depth, "max_depth", LIMITS.max_depth)
    return depth


def check_length(name: str) -> str:
    """Over-long names are refused before anything looks at them further."""
    if len(name) > LIMITS.max_name_length:
        raise LimitError("the length of a name", len(name), "max_name_length", LIMITS.max_name_length)
    return name


def check_name(name: str, text: str, position: int) -> str:
    """A name may be used as a variable: not too long, no dunder, not a Python keyword, not a SymPy number."""
    check_length(name)
    if name in SYMPY_NUMBERS:
        raise ParseError(f"{quote(name)} is {SYMPY_NUMBERS[name]} to SymPy, which reads what symdl prints, "
                         f"so it cannot name a variable; rename it, e.g. {name}_1", text, position)
    if name.startswith("__"):
        raise ParseError(f"name {quote(name)} is not allowed (names may not start with '__')", text, position)
    if keyword.iskeyword(name):
        raise ParseError(f"{quote(name)} is a Python keyword, not a name", text, position)
    return name


def function_names() -> dict[str, str]:
    """Every spelling of a function (its name and the record's ``spellings``: ``ln``, SymPy's
    ``Abs``, ``silu``), mapped to its op; read from the registry each time."""
    return {spelling: op.name for op in REGISTRY.values() if op.function for spelling in (op.name, *op.spellings)}


def call_aliases() -> dict[str, str]:
    """Names that stand for an op only when called (``sigma(x)``); bare, they are ordinary symbols
    (σ is a common variable)."""
    return {spelling: op.name for op in REGISTRY.values() for spelling in op.call_spellings}


def operator_words() -> dict[str, str]:
    r"""The words of ``\operatorname{LeakyReLU}``, as symdl's activations print, lower-cased, mapped to their op."""
    words = {}
    for op in REGISTRY.values():
        word = re.fullmatch(r"\\operatorname\{(\w+)\}", op.tex_name)
        if word:
            words[word.group(1).lower()] = op.name
    return words


def written_names() -> dict[str, str]:
    """The names symdl's text pages call functions by, read from each record: its glyph where that is a word
    or a letter (σ, ReLU, LeakyReLU, Φ), and the letter its LaTeX calls it by (H for the step). Like
    ``sigma`` they stand for the op only when called, so a variable may still be named H."""
    names = {}
    for op in REGISTRY.values():
        if op.function:
            letters = re.match(r"([A-Za-z]+)\\left\(", op.latex)
            for written in (op.glyph.split("(")[0], letters.group(1) if letters else ""):
                if written.isalnum() and written not in (op.name, *op.spellings):
                    names[written] = op.name
    return names


def resolve(name: str) -> str | None:
    """The registry op a called name stands for, if any."""
    return function_names().get(name) or call_aliases().get(name)


def known_functions() -> str:
    """The callable names, for error messages."""
    return ", ".join(sorted(set(function_names()) | set(call_aliases()), key=str.lower))


def is_reserved(name: str) -> bool:
    """Names that cannot stand for a variable: constants and functions (including call aliases)."""
    return name in CONSTANTS or name in function_names() or name in call_aliases()


def guarded(parse_function: Callable[[str], T]) -> Callable[[str], T]:
    """Wrap a public parser: enough stack for max_depth levels, and never a RecursionError out."""

    @functools.wraps(parse_function)
    def run(text):
        with deep_stack(_FRAMES_PER_LEVEL):
            return parse_function(text)

    return run
