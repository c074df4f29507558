r"""What one side of an equality is worth: a written number, a computation, a name, or unknown.

A side is read with symdl's own LaTeX parser (:func:`symdl.parsing.parse_latex`),
exactly, after the names bound earlier in its section are put in. A ``bmatrix`` or
``pmatrix`` is read cell by cell. A *result* is a number as written (``-0.24``,
``1.00``, ``2.5 \times 10^{-3}``): its digits say how precisely it was meant.
Anything the parser refuses, anything with an unbound name, and anything undefined
(``1/0``) or not real is unknown, and is never compared.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import re
from fractions import Fraction
from typing import Mapping, Optional

import sympy as sp

from symdl.audit.clean import TEXT
from symdl.audit.located import Located
from symdl.errors import SymdlError
from symdl.limits import LIMITS
from symdl.ops import by_head
from symdl.parsing import parse_latex

DIGITS = 30  # working precision of a side's value: far beyond any digits written in notes

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_RESULT = re.compile(rf"\{{?\s*(?P<sign>[-+]?)\s*(?P<number>{_NUMBER})"
                     r"(?:\s*(?:\\times|\\cdot)\s*10\s*\^\s*(?:\{\s*(?P<power>[-+]?\d+)\s*\}|(?P<digit>\d))"
                     r"|[eE](?P<exponent>[-+]?\d+))?\s*\}?")
_MATRIX = re.compile(r"\\begin\{(?P<kind>[bp]?matrix|Bmatrix)\}(?P<cells>(?:(?!\\begin\{|\\end\{).)*)"
                     r"\\end\{(?P=kind)\}", re.S)
# 2.5e-3 in a computation, as in a result: as LaTeX it would read 2.5·e − 3
_SCIENTIFIC = re.compile(rf"(?<![\w.\\])(?P<number>{_NUMBER})[eE](?P<power>[-+]?\d+)(?![\w.])")
# Words at either end of a side are labels or units ("\text{O} = 0.06", "18 \text{ m}^3") and go,
# with spacing and closing punctuation; a word inside a side ("20\% \text{ of } 50") leaves it unknown.
_EDGES = re.compile(rf"[\s{TEXT}]*(?P<side>.*?)[\s{TEXT}.,;:]*", re.S)
# Readings too ambiguous to evaluate, so the side is unknown: a letter called like a function,
# g(z) or f(x) (a product only by accident of notation); a name in parentheses after a number,
# 1.36(f_7), which in notes labels the number as often as it multiplies it; a derivative written
# as a fraction, \frac{df_3}{df_2}, which the parser would read as the product d·f_3 over d·f_2.
_AMBIGUOUS = re.compile(r"(?<![\\A-Za-z])[A-Za-z]\s*\("
                        r"|\d\s*\(\s*\\?[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?\s*\)"
                        r"|\\[dt]?frac\s*\{\s*(?:d(?![0-9])|\\partial)")


@dataclasses.dataclass
class Cell:
    where: Located  # the cell's text, located in the file
    kind: str  # "result", "computation", "name" or "unknown"
    value: Optional[sp.Expr] = None  # exact for results; DIGITS digits for computations
    decimals: Optional[int] = None  # digits after the point, as written (results only)
    expr: Optional[sp.Expr] = None  # the parsed expression (computations); its names are bound
    name: Optional[sp.Symbol] = None


@dataclasses.dataclass
class Side:
    where: Located
    cells: list[Cell]
    shape: tuple[int, ...]  # () for a scalar

    @property
    def numeric(self) -> bool:
        return any(c.kind in ("result", "computation") for c in self.cells)

    @property
    def is_result(self) -> bool:
        return all(c.kind == "result" for c in self.cells)

    @property
    def names(self) -> bool:
        return all(c.kind == "name" for c in self.cells)


def read(where: Located, bindings: Mapping[sp.Symbol, sp.Expr]) -> Side:
    """One side, evaluated with the bindings in force."""
    edges = _EDGES.fullmatch(where.text)
    where = where[edges.start("side"):edges.end("side")]
    matrix = _MATRIX.fullmatch(where.text.strip())
    if matrix is None and _MATRIX.search(where.text):
        return _matrix_expression(where, bindings)
    if matrix is None:
        items = _tuple_items(where)
        if items:
            return Side(where, [_cell(item, bindings) for item in items], (len(items),))
        return Side(where, [_cell(where, bindings)], ())
    start = len(where.text) - len(where.text.lstrip()) + matrix.start("cells")
    body = where[start:start + len(matrix.group("cells"))]
    rows, position = [], 0
    for row_text in re.split(r"\\\\", body.text):
        row, column = [], position
        for cell_text in row_text.split("&"):
            row.append(_cell(body[column:column + len(cell_text)], bindings))
            column += len(cell_text) + 1
        position += len(row_text) + 2
        if any(c.where.text.strip() for c in row):
            rows.append(row)
    if not rows or len({len(r) for r in rows}) != 1:
        return _unknown(where)
    return Side(where, [c for r in rows for c in r], (len(rows), len(rows[0])))


def _tuple_items(where: Located) -> list[Located]:
    """The items of a tuple or list written inline, ``(0.66, 0.24, 0.1)`` or ``[4, 8, 6, 10]``
    (two or more; the brackets enclose the whole side), else []."""
    text = where.text
    if len(text) < 2 or (text[0], text[-1]) not in (("(", ")"), ("[", "]")):
        return []
    depth, commas = 0, []
    for i, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if depth == 0 and i < len(text) - 1:
            return []  # (a)(b): the first bracket closes before the end
        if depth == 1 and char == ",":
            commas.append(i)
    bounds = [0] + commas + [len(text) - 1]
    return [where[a + 1:b] for a, b in zip(bounds, bounds[1:])] if commas else []


def _matrix_expression(where: Located, bindings: Mapping[sp.Symbol, sp.Expr]) -> Side:
    r"""A side that computes with matrices: ``A + B``, ``0.5 A``, ``A B``, ``\tanh A``. Each matrix
    stands in as a symbol named in written order (SymPy keeps commuting symbols sorted by name,
    so ``A B`` stays A·B), and the tree is then evaluated with the matrices put back."""
    matrices, pieces, position = {}, [], 0
    for match in _MATRIX.finditer(where.text):
        side = read(where[match.start():match.end()], bindings)
        if not all(c.kind in ("result", "computation") for c in side.cells) or len(matrices) >= 26:
            return _unknown(where)
        name = f"M_{{matrix{chr(ord('a') + len(matrices))}}}"
        matrices[sp.Symbol(f"M_matrix{chr(ord('a') + len(matrices))}", real=True)] = \
            sp.ImmutableMatrix(*side.shape, [c.value for c in side.cells])
        pieces.append(where.text[position:match.start()] + "{" + name + "}")
        position = match.end()
    try:
        expr = _parse("".join(pieces) + where.text[position:])
        value = _with_matrices(expr, {**bindings, **matrices})
    except (SymdlError, ArithmeticError, ValueError, TypeError, AttributeError, sp.ShapeError):
        return _unknown(where)
    if not isinstance(value, sp.ImmutableMatrix):
        return _unknown(where)
    cells = [Cell(where, "computation", v) for v in (evaluate(x, {}) for x in value)]
    if any(c.value is None for c in cells):
        return _unknown(where)
    return Side(where, cells, value.shape)


def _with_matrices(expr: sp.Expr, values: Mapping[sp.Symbol, sp.Expr]):
    """The value of ``expr`` with matrices: sums and products as in linear algebra (in the order
    written), a scalar times a matrix, and a function of a matrix entry by entry."""
    if expr in values:
        return values[expr]
    if not expr.args:
        return expr
    args = [_with_matrices(arg, values) for arg in expr.args]
    if not any(isinstance(a, sp.ImmutableMatrix) for a in args):
        return expr.func(*args)
    if expr.is_Add:
        if not all(isinstance(a, sp.ImmutableMatrix) for a in args):
            raise ValueError("a matrix plus a number")
        return functools.reduce(operator.add, args)
    if expr.is_Mul:
        return functools.reduce(operator.mul, args)
    if by_head(expr.func) is not None and len(args) == 1:
        return args[0].applyfunc(expr.func)
    raise ValueError(f"{expr.func} of a matrix")


def _parse(text: str) -> sp.Expr:
    """A side as LaTeX, its 2.5e-3 read as 2.5 × 10^{-3}."""
    return parse_latex(_SCIENTIFIC.sub(r"{\g<number> \\times 10^{\g<power>}}", text))


def _unknown(where: Located) -> Side:
    return Side(where, [Cell(where, "unknown")], ())


class _TooLong(Exception):
    """A number as written past the parser's bounds: 1e999999999 would be a billion-digit Fraction."""


def result(text: str) -> Optional[tuple[sp.Rational, int]]:
    """A number as written, exactly, with the digits after its point (2.5 × 10^{-3} or 2.5e-3: 4);
    :class:`_TooLong` past the parser's bounds on a literal's length and exponent."""
    match = _RESULT.fullmatch(text.strip())
    if match is None:
        return None
    number = match.group("number")
    power = int(match.group("power") or match.group("digit") or match.group("exponent") or 0)
    if abs(power) > LIMITS.max_exponent or len(number) > LIMITS.max_number_length:
        raise _TooLong(text)
    decimals = (len(number.split(".")[1]) if "." in number else 0) - power
    value = Fraction(number) * Fraction(10) ** power * (-1 if match.group("sign") == "-" else 1)
    return sp.Rational(value.numerator, value.denominator), decimals


def _cell(where: Located, bindings: Mapping[sp.Symbol, sp.Expr]) -> Cell:
    where = where.strip()
    try:
        written = result(where.text)
    except _TooLong:  # unknown: read as LaTeX, 1e999999999 would be 1·e·999999999
        return Cell(where, "unknown")
    if written is not None:
        return Cell(where, "result", written[0], written[1])
    if not re.search(r"\d|\\|[A-Za-z]", where.text) or _AMBIGUOUS.search(where.text):
        return Cell(where, "unknown")
    try:
        expr = _parse(where.text)
    except SymdlError:
        return Cell(where, "unknown")
    if isinstance(expr, sp.Symbol):
        return Cell(where, "name", name=expr)
    if not expr.free_symbols <= set(bindings):
        return Cell(where, "unknown")
    value = evaluate(expr, bindings)
    return Cell(where, "unknown") if value is None else Cell(where, "computation", value, expr=expr)


def evaluate(expr: sp.Expr, bindings: Mapping[sp.Symbol, sp.Expr]) -> Optional[sp.Float]:
    """The real value of ``expr`` to DIGITS digits, names bound; None where it is undefined or not real.
    Bound numbers go in numerically (mpmath), so no bound exponent can make SymPy fold a huge number."""
    try:
        value = expr.evalf(DIGITS, subs={s: bindings[s] for s in expr.free_symbols})
    except (ArithmeticError, ValueError, TypeError, KeyError, NotImplementedError, RecursionError):
        return None
    if value.free_symbols or not (value.is_real and value.is_finite) or value.has(sp.zoo, sp.nan):
        return None
    return value
