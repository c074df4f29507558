"""The op registry: one record per primitive gate, and nothing else.

A record holds everything any part of symdl needs about an op: how SymPy
builds it (``forward``), its local derivatives in canonical form written in
terms of its inputs and its own output (``local``; the HIPS-autograd ``ans``
idea: tanh' = 1 − out², σ' = out(1 − out), exp' = out), its diagram glyph and
LaTeX, a NumPy implementation for kernels, and the sentence a teacher says.
Adding an op means adding one ``register(Op(...))`` call; the graph, the
derivations and the printers only ever look ops up.

Some gates carry a constant folded into them, as lecture circuits draw them
(``*-1``, ``+1``, ``×2``, ``x²``): ``const`` is that number, else ``None``.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Callable, Optional, Sequence

import numpy as np
import sympy as sp
from sympy import Heaviside, Max, Min, S

from symdl import numeric
from symdl.functions import DEFAULT_LEAKY_SLOPE, gelu, leaky_relu, normal_cdf, relu, sigmoid, softplus
from symdl.registry import Registry, Slip

Expr = sp.Expr
Locals = Callable[[Expr, Sequence[Expr], Optional[Expr]], tuple]


@dataclasses.dataclass(frozen=True)
class Op:
    """One primitive gate. ``local(out, args, const)`` returns d(out)/d(arg) for each arg."""

    name: str
    forward: Callable[[Sequence[Expr], Optional[Expr]], Expr]
    local: Locals
    glyph: str  # diagram label; "{c}" stands for the folded constant
    latex: str  # LaTeX of the gate; "{0}", "{1}" stand for operands, "{c}" for the constant
    rule: str  # the one sentence a teacher says about this gate's gradient
    numpy: Callable[..., np.ndarray]  # numpy(*arrays, const) -> array
    head: Optional[type] = None  # the SymPy class this op is recognised by, for function ops
    arity: Optional[int] = 1  # number of graph inputs; None means any number ≥ 2
    function: bool = False  # written as a call, name(args), in expression text
    slips: tuple[Slip, ...] = ()  # classic mistakes with this gate, for grading a student's numbers
    # where a non-smooth op has its kinks: quantities of the arguments' values that stay constant while
    # it is smooth (the sign of ReLU's argument, the order of max's arguments); None for a smooth op
    kinks: Optional[Callable[[Sequence], list]] = None

    def label(self, const: Optional[Expr] = None) -> str:
        """The glyph with its constant filled in, e.g. ``+1`` or ``×-1``."""
        return self.glyph.format(c=_short(const)) if const is not None else self.glyph

    def tex(self, operands: Sequence[str], const: Optional[Expr] = None) -> str:
        c = sp.latex(const) if const is not None else ""
        if self.arity is None and len(operands) > 2:  # n-ary: fold the binary form left to right
            return self.latex.format(self.tex(operands[:-1], const), operands[-1], c=c)
        return self.latex.format(*operands, c=c)


def _short(value: Expr) -> str:
    return str(value).replace(" ", "")


REGISTRY: Registry[Op] = Registry("op")
register = REGISTRY.register
get = REGISTRY.__getitem__


def gate(node: dict):
    """The record that labels and typesets a graph node's gate: a tensor op for the
    tensor nodes of a network (``node["tensor"]``), else a scalar op."""
    if node.get("tensor"):
        from symdl.tensor.registry import get as tensor_op  # tensor ops are registered by symdl.tensor
        return tensor_op(node["op"])
    return get(node["op"])


def by_head(head: type) -> Optional[Op]:
    """The function op recognised by a SymPy class (``sp.tanh`` -> tanh), if any."""
    for op in REGISTRY.values():
        if op.head is head:
            return op
    return None


def _others_product(args: Sequence[Expr], i: int) -> Expr:
    return sp.Mul(*(a for j, a in enumerate(args) if j != i))


def _route(args: Sequence[Expr], i: int, larger: bool) -> Expr:
    """Max/min routing: 1 where input i wins, 0 where it loses; ties split evenly (H(0) = 1/2)."""
    rest = [a for j, a in enumerate(args) if j != i]
    best = Max(*rest) if larger else Min(*rest)
    return Heaviside(args[i] - best) if larger else Heaviside(best - args[i])


def sign_of_argument(args: Sequence) -> list:
    """The kink quantity of |x|, ReLU, step, sign: which side of 0 the argument is on (0 exactly on it)."""
    return [np.sign(args[0])]


def order_of_arguments(args: Sequence) -> list:
    """The kink quantities of max and min: the order of every pair of arguments (0 for a tie)."""
    return [np.sign(a - b) for a, b in itertools.combinations(args, 2)]


def _leaky_locals(out, args, slope):
    x = args[0]
    if len(args) == 2:  # parametric slope (PReLU): the slope is a graph input
        a = args[1]
        return (a + (1 - a) * Heaviside(x, 0), Min(0, x))
    slope = DEFAULT_LEAKY_SLOPE if slope is None else slope
    return (slope + (1 - slope) * Heaviside(x, 0),)


# --- arithmetic gates -------------------------------------------------------
register(Op("add", lambda a, c: sp.Add(*a), lambda o, a, c: (S.One,) * len(a),
            "+", "{0} + {1}", "An add gate distributes: every input receives the upstream gradient unchanged.",
            lambda *xs, const=None: np.sum(xs, axis=0), arity=None,
            slips=(Slip("an add gate's local gradient is 1 (it passes the gradient unchanged), not 0",
                        local=lambda o, a, c: (S.Zero,) * len(a)),
                   Slip("one term's sign is flipped", forward=lambda a, c: [sp.Add(*a) - 2 * t for t in a]),
                   Slip("one term is left out", forward=lambda a, c: [sp.Add(*a) - t for t in a]))))
register(Op("sub", lambda a, c: a[0] - a[1], lambda o, a, c: (S.One, S.NegativeOne),
            "−", "{0} - {1}", "A subtract gate passes the gradient to its first input and its negative to the second.",
            lambda x, y, const=None: x - y, arity=2,
            slips=(Slip("the subtracted input's local gradient is −1, not +1",
                        local=lambda o, a, c: (S.One, S.One)),)))
register(Op("neg", lambda a, c: -a[0], lambda o, a, c: (S.NegativeOne,),
            "*-1", "-{0}", "Negation flips the sign of the gradient.",
            lambda x, const=None: -x,
            slips=(Slip("negation's local gradient is −1: the sign was dropped",
                        local=lambda o, a, c: (S.One,)),)))
register(Op("mul", lambda a, c: sp.Mul(*a), lambda o, a, c: tuple(_others_product(a, i) for i in range(len(a))),
            "×", r"{0} \cdot {1}", "A multiply gate swaps: each input's local gradient is the other input.",
            lambda *xs, const=None: np.prod(xs, axis=0), arity=None,
            slips=(Slip("a multiply gate swaps: each input's local gradient is the *other* input, not its own value",
                        local=lambda o, a, c: tuple(a)),)))
register(Op("scale", lambda a, c: c * a[0], lambda o, a, c: (c,),
            "×{c}", r"{c} \cdot {0}", "Multiplying by a constant scales the gradient by that constant.",
            lambda x, const=None: const * x,
            slips=(Slip("the constant factor was left out of the local gradient", local=lambda o, a, c: (S.One,)),)))
register(Op("shift", lambda a, c: a[0] + c, lambda o, a, c: (S.One,),
            "+{c}", "{0} + {c}", "Adding a constant passes the gradient through unchanged.",
            lambda x, const=None: x + const))
register(Op("div", lambda a, c: a[0] / a[1], lambda o, a, c: (1 / a[1], -o / a[1]),
            "÷", r"\frac{{{0}}}{{{1}}}", "A divide gate sends upstream/b to the numerator and −out/b times upstream to the denominator.",
            lambda x, y, const=None: x / y, arity=2))
register(Op("reciprocal", lambda a, c: 1 / a[0], lambda o, a, c: (-o**2,),
            "1/x", r"\frac{{1}}{{{0}}}", "The 1/x gate's local gradient is −1/x² = −out².",
            lambda x, const=None: 1 / x,
            slips=(Slip("the minus sign of d(1/x)/dx = −1/x² was dropped", local=lambda o, a, c: (o**2,)),
                   Slip("d(1/x)/dx is −1/x², not −1/x", local=lambda o, a, c: (-o,)))))
register(Op("powc", lambda a, c: a[0] ** c, lambda o, a, c: (c * a[0] ** (c - 1),),
            "x^{c}", "{{{0}}}^{{{c}}}", "The power rule: d(xⁿ)/dx = n·xⁿ⁻¹.",
            lambda x, const=None: x ** const,
            slips=(Slip("the power rule lowers the exponent: n·xⁿ⁻¹, not n·xⁿ",
                        local=lambda o, a, c: (c * a[0] ** c,)),
                   Slip("the power rule keeps the factor n: n·xⁿ⁻¹, not xⁿ⁻¹",
                        local=lambda o, a, c: (a[0] ** (c - 1),)))))
register(Op("expc", lambda a, c: c ** a[0], lambda o, a, c: (o * sp.log(c),),
            "{c}^x", "{c}^{{{0}}}", "A constant to the power x has local gradient out·ln c.",
            lambda x, const=None: const ** x))
register(Op("pow", lambda a, c: a[0] ** a[1], lambda o, a, c: (a[1] * a[0] ** (a[1] - 1), o * sp.log(a[0])),
            "^", "{{{0}}}^{{{1}}}", "x^y: the base gets y·x^(y−1), the exponent gets out·ln x.",
            lambda x, y, const=None: x ** y, arity=2))

# --- elementary functions ---------------------------------------------------
register(Op("exp", lambda a, c: sp.exp(a[0]), lambda o, a, c: (o,),
            "exp", r"e^{{{0}}}", "The exp gate's local gradient is its own output.",
            lambda x, const=None: np.exp(x), head=sp.exp, function=True))
register(Op("log", lambda a, c: sp.log(a[0]), lambda o, a, c: (1 / a[0],),
            "log", r"\log\left({0}\right)", "The log gate's local gradient is 1/x.",
            lambda x, const=None: np.log(x), head=sp.log, function=True))
register(Op("sqrt", lambda a, c: sp.sqrt(a[0]), lambda o, a, c: (1 / (2 * o),),
            "√", r"\sqrt{{{0}}}", "The square-root gate's local gradient is 1/(2·out).",
            lambda x, const=None: np.sqrt(x), function=True))
register(Op("abs", lambda a, c: sp.Abs(a[0]), lambda o, a, c: (sp.sign(a[0]),),
            "|x|", r"\left|{0}\right|", "The abs gate passes the gradient with the sign of its input (0 at 0).",
            lambda x, const=None: np.abs(x), head=sp.Abs, function=True, kinks=sign_of_argument))
register(Op("sin", lambda a, c: sp.sin(a[0]), lambda o, a, c: (sp.cos(a[0]),),
            "sin", r"\sin\left({0}\right)", "The sin gate's local gradient is cos x.",
            lambda x, const=None: np.sin(x), head=sp.sin, function=True,
            slips=(Slip("sin was evaluated in degrees; the argument is in radians",
                        forward=lambda a, c: sp.sin(a[0] * sp.pi / 180)),)))
register(Op("cos", lambda a, c: sp.cos(a[0]), lambda o, a, c: (-sp.sin(a[0]),),
            "cos", r"\cos\left({0}\right)", "The cos gate's local gradient is −sin x.",
            lambda x, const=None: np.cos(x), head=sp.cos, function=True,
            slips=(Slip("cos was evaluated in degrees; the argument is in radians",
                        forward=lambda a, c: sp.cos(a[0] * sp.pi / 180)),)))
register(Op("tanh", lambda a, c: sp.tanh(a[0]), lambda o, a, c: (1 - o**2,),
            "tanh", r"\tanh\left({0}\right)", "The tanh gate's local gradient is 1 − out².",
            lambda x, const=None: np.tanh(x), head=sp.tanh, function=True,
            slips=(Slip("used tanh itself instead of 1 − tanh²", local=lambda o, a, c: (o,)),
                   Slip("used 1 − x² on the input instead of 1 − tanh²(x)", local=lambda o, a, c: (1 - a[0]**2,)),
                   Slip("inverted the fraction: 1 − 1/tanh² instead of 1 − tanh²",
                        local=lambda o, a, c: (1 - 1 / o**2,)))))
register(Op("sigmoid", lambda a, c: sigmoid(a[0]), lambda o, a, c: (o * (1 - o),),
            "σ", r"\sigma\left({0}\right)", "The sigmoid gate's local gradient is out·(1 − out).",
            lambda x, const=None: numeric.sigmoid(x), head=sigmoid, function=True,
            slips=(Slip("used σ instead of σ(1 − σ)", local=lambda o, a, c: (o,)),
                   Slip("used z(1 − z) on the pre-activation z instead of σ(z)(1 − σ(z))",
                        local=lambda o, a, c: (a[0] * (1 - a[0]),)))))
register(Op("softplus", lambda a, c: softplus(a[0]), lambda o, a, c: (sigmoid(a[0]),),
            "softplus", r"\operatorname{{softplus}}\left({0}\right)", "The softplus gate's local gradient is σ(x).",
            lambda x, const=None: numeric.softplus(x), head=softplus, function=True))
register(Op("gelu", lambda a, c: gelu(a[0]),
            lambda o, a, c: (normal_cdf(a[0]) + a[0] * sp.exp(-a[0]**2 / 2) / sp.sqrt(2 * sp.pi),),
            "GELU", r"\operatorname{{GELU}}\left({0}\right)",
            "The GELU gate's local gradient is Φ(x) + x·φ(x): the normal CDF plus x times the normal density.",
            lambda x, const=None: numeric.gelu(x), head=gelu, function=True))
register(Op("normal_cdf", lambda a, c: normal_cdf(a[0]), lambda o, a, c: (sp.exp(-a[0]**2 / 2) / sp.sqrt(2 * sp.pi),),
            "Φ", r"\Phi\left({0}\right)", "The normal CDF's local gradient is the normal density φ(x).",
            lambda x, const=None: numeric.normal_cdf(x), head=normal_cdf, function=True))
register(Op("relu", lambda a, c: relu(a[0]), lambda o, a, c: (Heaviside(a[0], 0),),
            "ReLU", r"\operatorname{{ReLU}}\left({0}\right)", "ReLU passes the gradient where its input was positive and blocks it elsewhere.",
            lambda x, const=None: numeric.relu(x), head=relu, function=True,
            slips=(Slip("ReLU blocks the gradient where its input is not positive", local=lambda o, a, c: (S.One,)),),
            kinks=sign_of_argument))
register(Op("leaky_relu", lambda a, c: leaky_relu(*a) if c is None else leaky_relu(a[0], c), _leaky_locals,
            "LeakyReLU({c})", r"\operatorname{{LeakyReLU}}\left({0}\right)",
            "Leaky ReLU passes the gradient where its input was positive and the slope times it elsewhere.",
            lambda x, const=None: numeric.leaky_relu(x, const), head=leaky_relu, function=True,
            kinks=sign_of_argument))
register(Op("step", lambda a, c: Heaviside(a[0], 0 if c is None else c), lambda o, a, c: (S.Zero,),
            "step", r"H\left({0}\right)", "The step's gradient is zero wherever it is defined: nothing flows back through it.",
            lambda x, const=None: np.heaviside(x, 0.0 if const is None else float(const)), head=Heaviside, function=True,
            kinks=sign_of_argument))
register(Op("max", lambda a, c: Max(*a), lambda o, a, c: tuple(_route(a, i, True) for i in range(len(a))),
            "max", r"\max\left({0}, {1}\right)", "A max gate routes the whole gradient to its larger input; the others get zero.",
            lambda *xs, const=None: np.max(xs, axis=0), head=Max, arity=None, function=True,
            slips=(Slip("a max gate routes the gradient to the larger input, not the smaller",
                        local=lambda o, a, c: tuple(_route(a, i, False) for i in range(len(a)))),),
            kinks=order_of_arguments))
register(Op("min", lambda a, c: Min(*a), lambda o, a, c: tuple(_route(a, i, False) for i in range(len(a))),
            "min", r"\min\left({0}, {1}\right)", "A min gate routes the whole gradient to its smaller input; the others get zero.",
            lambda *xs, const=None: np.min(xs, axis=0), head=Min, arity=None, function=True,
            kinks=order_of_arguments))
register(Op("floor", lambda a, c: sp.floor(a[0]), lambda o, a, c: (S.Zero,),
            "⌊x⌋", r"\left\lfloor {0} \right\rfloor",
            "The floor is flat between integers, so its gradient is zero wherever it is defined: nothing flows back through it.",
            lambda x, const=None: np.floor(x), head=sp.floor, function=True,
            kinks=lambda args: [np.floor(args[0])]))
