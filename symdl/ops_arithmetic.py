"""The op table of arithmetic gates and elementary functions: one record each (see :class:`symdl.op_record.Op`).

Importing this module registers its records in :data:`symdl.op_record.REGISTRY`, in reading order;
:mod:`symdl.ops` imports it, and everything else looks the ops up there.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy as sp
from sympy import S

from symdl.op_record import Op, register, sign_of_argument
from symdl.registry import Slip

Expr = sp.Expr


def _others_product(args: Sequence[Expr], i: int) -> Expr:
    return sp.Mul(*(a for j, a in enumerate(args) if j != i))


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
            "×(−1)", "-{0}", "Negation flips the sign of the gradient.",
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
            lambda x, const=None: x + const,
            slips=(Slip("its constant term was left out", forward=lambda a, c: a[0]),)))
register(Op("div", lambda a, c: a[0] / a[1], lambda o, a, c: (1 / a[1], -o / a[1]),
            "÷", r"\frac{{{0}}}{{{1}}}",
            "A divide gate a/b sends the upstream gradient times 1/b to the numerator and times −a/b² to the denominator.",
            lambda x, y, const=None: x / y, arity=2))
register(Op("reciprocal", lambda a, c: 1 / a[0], lambda o, a, c: (-o**2,),
            "1/(·)", r"\frac{{1}}{{{0}}}", "The reciprocal's derivative is −1/x²: minus the gate's output squared.",
            lambda x, const=None: 1 / x,
            slips=(Slip("the minus sign of d(1/x)/dx = −1/x² was dropped", local=lambda o, a, c: (o**2,)),
                   Slip("d(1/x)/dx is −1/x², not −1/x", local=lambda o, a, c: (-o,)))))
register(Op("powc", lambda a, c: a[0] ** c, lambda o, a, c: (c * a[0] ** (c - 1),),
            "(·)^{c}", "{{{0}}}^{{{c}}}", "The power rule: d(xⁿ)/dx = n·xⁿ⁻¹.",
            lambda x, const=None: x ** const,
            slips=(Slip("the power rule lowers the exponent: n·xⁿ⁻¹, not n·xⁿ",
                        local=lambda o, a, c: (c * a[0] ** c,)),
                   Slip("the power rule keeps the factor n: n·xⁿ⁻¹, not xⁿ⁻¹",
                        local=lambda o, a, c: (a[0] ** (c - 1),)))))
register(Op("expc", lambda a, c: c ** a[0], lambda o, a, c: (o * sp.log(c),),
            "{c}^(·)", "{c}^{{{0}}}", "A constant to the power x has derivative cˣ·ln c: the gate's output times ln c.",
            lambda x, const=None: const ** x))
register(Op("pow", lambda a, c: a[0] ** a[1], lambda o, a, c: (a[1] * a[0] ** (a[1] - 1), o * sp.log(a[0])),
            "^", "{{{0}}}^{{{1}}}", "x^y: the base gets y·x^(y−1), the exponent x^y·ln x (the gate's output times ln x).",
            lambda x, y, const=None: x ** y, arity=2))

# --- elementary functions ---------------------------------------------------
register(Op("exp", lambda a, c: sp.exp(a[0]), lambda o, a, c: (o,),
            "exp", r"e^{{{0}}}", "The exp gate's local gradient is its own output.",
            lambda x, const=None: np.exp(x), head=sp.exp, function=True, torch=lambda torch: torch.exp))
register(Op("log", lambda a, c: sp.log(a[0]), lambda o, a, c: (1 / a[0],),
            "log", r"\log\left({0}\right)", "The log gate's local gradient is 1/x.",
            lambda x, const=None: np.log(x), head=sp.log, function=True, torch=lambda torch: torch.log, spellings=("ln",)))
register(Op("sqrt", lambda a, c: sp.sqrt(a[0]), lambda o, a, c: (1 / (2 * o),),
            "√", r"\sqrt{{{0}}}", "The square root's derivative is 1/(2√x): one over twice the gate's output.",
            lambda x, const=None: np.sqrt(x), function=True))
register(Op("abs", lambda a, c: sp.Abs(a[0]), lambda o, a, c: (sp.sign(a[0]),),
            "|·|", r"\left|{0}\right|", "The abs gate passes the gradient with the sign of its input (0 at 0).",
            lambda x, const=None: np.abs(x), head=sp.Abs, function=True, torch=lambda torch: torch.abs, spellings=("Abs",), kinks=sign_of_argument))
register(Op("sin", lambda a, c: sp.sin(a[0]), lambda o, a, c: (sp.cos(a[0]),),
            "sin", r"\sin\left({0}\right)", "The sin gate's local gradient is cos x.",
            lambda x, const=None: np.sin(x), head=sp.sin, function=True, torch=lambda torch: torch.sin,
            slips=(Slip("sin was evaluated in degrees; the argument is in radians",
                        forward=lambda a, c: sp.sin(a[0] * sp.pi / 180)),)))
register(Op("cos", lambda a, c: sp.cos(a[0]), lambda o, a, c: (-sp.sin(a[0]),),
            "cos", r"\cos\left({0}\right)", "The cos gate's local gradient is −sin x.",
            lambda x, const=None: np.cos(x), head=sp.cos, function=True, torch=lambda torch: torch.cos,
            slips=(Slip("cos was evaluated in degrees; the argument is in radians",
                        forward=lambda a, c: sp.cos(a[0] * sp.pi / 180)),)))
register(Op("tanh", lambda a, c: sp.tanh(a[0]), lambda o, a, c: (1 - o**2,),
            "tanh", r"\tanh\left({0}\right)", "The tanh derivative is 1 − tanh²(x): one minus the gate's output squared.",
            lambda x, const=None: np.tanh(x), head=sp.tanh, function=True, torch=lambda torch: torch.tanh,
            slips=(Slip("used tanh itself instead of 1 − tanh²", local=lambda o, a, c: (o,)),
                   Slip("used 1 − x² on the input instead of 1 − tanh²(x)", local=lambda o, a, c: (1 - a[0]**2,)),
                   Slip("inverted the fraction: 1 − 1/tanh² instead of 1 − tanh²",
                        local=lambda o, a, c: (1 - 1 / o**2,)))))
