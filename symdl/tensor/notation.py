"""Steps that matrix algebra does not write, written as a textbook does: a convolution as X ∗ W with
its stride and padding, a reshape as "image as a 1×5×5 tensor", batch norm as
γ ⊙ (Z − μ)/√(σ² + ε) + β, a max pool by its windows, a causal mask as Z + M with M's −∞ entries.

A :class:`Written` form is a short sentence of pieces: words, operators and SymPy expressions, which
each printer (text, LaTeX, MathML) prints its own way, so no formula is ever a Python call string.
It keeps the op's forward pass, so :func:`symdl.tensor.symbolic.evaluate` computes it and a test can
hold the printed formula to the printed value.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import numpy as np
import sympy as sp
from sympy.core.symbol import Str

from symdl.numbers import format_value, shown
from symdl.tensor.matrix_forms import NoMatrixForm
from symdl.tensor.symbolic import is_matrix, is_vector

#: a piece of a written step: ("words", ASCII text but ×), ("op", unicode, latex), ("math", expr),
#: ("size", shape), ("number", value)
Piece = tuple


class Written(sp.Basic):
    """A step as words and mathematics; its args are the operand forms (so it names them) and the
    pieces' text (so two steps on one operand are two forms), its ``compute`` the op's forward pass,
    its ``where`` what the formula's letters stand for (a Written of its own, printed after the value)."""

    def __new__(cls, pieces: Sequence[Piece], operands: Sequence[sp.Basic],
                compute: Optional[Callable[..., np.ndarray]] = None, where: Optional["Written"] = None):
        form = super().__new__(cls, sp.Tuple(*operands), Str(repr(pieces)))
        form.pieces, form.compute, form.where = tuple(pieces), compute, where
        return form

    @property
    def operands(self) -> tuple:
        return tuple(self.args[0])

    def _sympystr(self, printer) -> str:
        printed = {"words": lambda p: p[1], "op": lambda p: f" {p[1]} ", "math": lambda p: printer._print(p[1]),
                   "size": lambda p: "×".join(map(str, p[1])), "number": lambda p: shown(p[1])}
        return "".join(printed[p[0]](p) for p in self.pieces)

    def _latex(self, printer) -> str:
        printed = {"words": lambda p: r"\text{%s}" % p[1].replace("×", r"$\times$"), "op": lambda p: f" {p[2]} ",
                   "math": lambda p: printer._print(p[1]), "size": lambda p: r" \times ".join(map(str, p[1])),
                   "number": lambda p: _tex_number(p[1])}
        return "".join(printed[p[0]](p) for p in self.pieces)

    def _mathml_presentation(self, printer):
        dom = printer.dom
        row = dom.createElement("mrow")
        for piece in self.pieces:
            if piece[0] == "math":
                row.appendChild(printer._print(piece[1]))
                continue
            if piece[0] == "number":
                row.appendChild(_mathml_number(dom, piece[1]))
                continue
            tag, content = {"words": ("mtext", lambda p: p[1].replace(" ", "\u00a0")), "op": ("mo", lambda p: p[1]),
                            "size": ("mn", lambda p: "×".join(map(str, p[1])))}[piece[0]]
            element = dom.createElement(tag)
            element.appendChild(dom.createTextNode(content(piece)))
            row.appendChild(element)
        return row


def _mathml_number(dom, value: float):
    """1e−05 as 10⁻⁵ (2.5e−07 as 2.5 × 10⁻⁷), any other number as written."""
    mantissa, _, exponent = shown(value).partition("e")

    def element(tag: str, content: str):
        node = dom.createElement(tag)
        node.appendChild(dom.createTextNode(content))
        return node

    if not exponent:
        return element("mn", mantissa)
    row, power = dom.createElement("mrow"), dom.createElement("msup")
    power.appendChild(element("mn", "10"))
    power.appendChild(element("mn", str(int(exponent.replace("−", "-"))).replace("-", "−")))
    if mantissa != "1":
        row.appendChild(element("mn", mantissa))
        row.appendChild(element("mo", "×"))
    row.appendChild(power)
    return row


def _tex_number(value: float) -> str:
    """1 \\times 10^{-5} for 1e−05, as a textbook writes a small constant."""
    mantissa, _, exponent = format_value(value).partition("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}" if exponent else mantissa


def _pair_text(value) -> str:
    """A stride or padding as written: 2, or 1×2 for a pair of two sizes."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


def reshape(record, x: sp.Basic, shape: Sequence[int]) -> Written:
    """``image as a 1×5×5 tensor``, ``w₁ as a 2×1 column``: a reshape moves no number, it reads the same
    entries in another shape."""
    kind = {1: "vector", 2: "matrix"}.get(len(shape), "tensor")
    if len(shape) == 2 and 1 in shape and tuple(shape) != (1, 1):
        kind = "column" if shape[1] == 1 else "row"
    size = ("size", tuple(shape)) if len(shape) > 1 else ("words", f"{shape[0]}-entry")
    return Written([("math", x), ("words", " as a "), size, ("words", f" {kind}")], [x],
                   lambda v: record.forward(v, shape=shape))


def conv2d(record, x: sp.Basic, w: sp.Basic, b: Union[sp.Basic, None] = None, *, stride=1, padding=0) -> Written:
    """``X ∗ W + b, stride 2, padding 1``: cross-correlation (no kernel flip), as PyTorch computes it."""
    pieces = [("math", x), ("op", "∗", r"\ast"), ("math", w)]
    pieces += [("op", "+", "+"), ("math", b)] if b is not None else []
    pieces += [("words", f", stride {_pair_text(stride)}, padding {_pair_text(padding)}")]
    operands = [x, w] + ([b] if b is not None else [])
    return Written(pieces, operands, lambda *v: record.forward(*v, stride=stride, padding=padding))


def pool(record, x: sp.Basic, *, kernel_size, stride=None) -> Written:
    """``the max of each 2×2 window of X, stride 2``: pooling as its windows, PyTorch's stride default."""
    kernel = (kernel_size, kernel_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    what = "mean" if record.name.startswith("avg") else record.name.partition("_")[0]  # max_pool2d: max
    step = kernel_size if stride is None else stride
    pieces = [("words", f"the {what} of each "), ("size", kernel), ("words", " window of "), ("math", x),
              ("words", f", stride {_pair_text(step)}")]
    return Written(pieces, [x], lambda v: record.forward(v, kernel_size=kernel_size, stride=stride))


_MU, _SIGMA, _EPSILON = sp.Symbol("mu"), sp.Symbol("sigma"), sp.Symbol("epsilon")


def batch_norm(record, z: sp.Basic, gamma: sp.Basic, beta: sp.Basic, *, eps: float = 1e-5) -> Written:
    """``γ ⊙ (Z − μ)/√(σ² + ε) + β``, where μ and σ² are each column's mean and (biased, divide-by-N)
    variance over the batch, as training-mode batch norm takes them, and ε = 10⁻⁵."""
    pieces = [("math", gamma), ("op", "⊙", r"\odot"), ("math", normalised(z)), ("op", "+", "+"), ("math", beta)]
    where = Written([("math", _MU), ("words", " and "), ("math", _SIGMA ** 2),
                     ("words", " are the mean and variance of each column of "), ("math", z),
                     ("words", " over the batch, "), ("math", _EPSILON), ("op", "=", "="), ("number", eps)], [z])
    return Written(pieces, [z, gamma, beta], lambda *v: record.forward(*v, eps=eps), where)


def normalised(z: sp.Basic) -> sp.Expr:
    """(Z − μ)/√(σ² + ε): the batch ``z`` normalised, as batch norm's formula writes it, μ and σ² per column."""
    return (_stand_in(z) - _MU) / sp.sqrt(_SIGMA ** 2 + _EPSILON)


def _stand_in(form: sp.Basic) -> sp.Symbol:
    """A scalar symbol of the operand's name, to stand in a scalar formula applied entry by entry."""
    return sp.Symbol(str(form))


class MaskMatrix(sp.ImmutableDenseMatrix):
    """An explicit matrix of a mask's entries (0 and −∞, or the 1 and 0 that keep a gradient), printed
    row by row: [0 −∞ −∞; 0 0 −∞; 0 0 0] in text, a bmatrix in LaTeX, a table in MathML."""

    def _sympystr(self, printer) -> str:
        rows = (" ".join(printer._print(entry) for entry in self.row(i)) for i in range(self.rows))
        return "[" + "; ".join(rows) + "]"


def masked_value(z: sp.Basic, mask) -> sp.Basic:
    """Z + M, with M 0 where a token may look and −∞ where it may not (softmax then gives it weight 0)."""
    return sp.MatAdd(z, _entries(mask, -sp.oo, sp.S.Zero, z), evaluate=False)


def masked_vjp(g: sp.Basic, out: sp.Basic, z: sp.Basic, mask) -> tuple[sp.Basic]:
    """∂L/∂Z = ∂L/∂M ⊙ K, K 1 where a score was kept and 0 where it was masked: no gradient reaches −∞."""
    return (sp.HadamardProduct(g, _entries(mask, sp.S.Zero, sp.S.One, z)),)


def _entries(mask, hidden: sp.Expr, shown: sp.Expr, z: sp.Basic) -> MaskMatrix:
    """The mask as an explicit matrix of z's shape; a mask that broadcasts, or a vector's, has no such reading."""
    array = np.asarray(mask, dtype=bool)
    if not is_matrix(z) or is_vector(z) or array.shape != tuple(z.shape):
        raise NoMatrixForm(f"a mask of shape {array.shape} on {z}")
    return MaskMatrix([[hidden if m else shown for m in row] for row in array])
