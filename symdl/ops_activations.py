"""The op table of activations, piecewise ops and float64-stable forms: one record each.

Importing this module registers its records in :data:`symdl.op_record.REGISTRY`, in reading order
(see :mod:`symdl.ops`). An activation SymPy lacks gives its ``elementary`` definition, and its
SymPy class is made from the record.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np
import sympy as sp
from sympy import Heaviside, Max, Min, Piecewise, S

from symdl import numeric
from symdl.op_record import (Op, Param, function, order_of_arguments, register, sign_of_argument, torch_with_number,
                             with_param)
from symdl.registry import Slip
from symdl.sympy_function import exprel_grad

Expr = sp.Expr


def _route(args: Sequence[Expr], i: int, larger: bool) -> Expr:
    """Max/min routing: 1 where input i wins, 0 where it loses; a tie of k inputs gives each 1/k, so
    the shares always sum to 1 (two inputs: H(a − b) with H(0) = 1/2)."""
    if len(args) > 2:
        wins = [_wins(args, k, larger) for k in range(len(args))]
        return wins[i] / sp.Add(*wins)
    rest = [a for j, a in enumerate(args) if j != i]
    best = Max(*rest) if larger else Min(*rest)
    return Heaviside(args[i] - best) if larger else Heaviside(best - args[i])


def _wins(args: Sequence[Expr], i: int, larger: bool) -> Expr:
    """1 where input i is at least (at most) every other input, else 0."""
    sign = 1 if larger else -1
    return sp.Mul(*(Heaviside(sign * (args[i] - a), 1) for j, a in enumerate(args) if j != i))




def _normal_density(x: Expr) -> Expr:
    return sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)


register(Op("sigmoid", None, lambda o, a, c: (o * (1 - o),),
            "σ", r"\sigma\left({0}\right)", "The sigmoid's derivative is σ(x)(1 − σ(x)): the gate's output times one minus it.",
            lambda x, const=None: numeric.sigmoid(x), function=True, call_spellings=("sigma",),
            torch=lambda torch: torch.sigmoid, elementary=lambda x: 1 / (1 + sp.exp(-x)),
            exact=lambda x: {S.Zero: S.Half, S.Infinity: S.One, S.NegativeInfinity: S.Zero}.get(x),
            sign="positive", tex_name=r"\sigma",
            slips=(Slip("used σ instead of σ(1 − σ)", local=lambda o, a, c: (o,)),
                   Slip("used z(1 − z) on the pre-activation z instead of σ(z)(1 − σ(z))",
                        local=lambda o, a, c: (a[0] * (1 - a[0]),)))))
register(Op("softplus", None, lambda o, a, c: (function("sigmoid")(a[0]),),
            "softplus", r"\operatorname{{softplus}}\left({0}\right)", "The softplus gate's local gradient is σ(x).",
            lambda x, const=None: numeric.softplus(x), function=True,
            torch=lambda torch: torch.nn.functional.softplus, elementary=lambda x: sp.log(1 + sp.exp(x)),
            exact=lambda x: {S.Zero: sp.log(2), S.Infinity: S.Infinity, S.NegativeInfinity: S.Zero}.get(x),
            sign="positive", tex_name=r"\operatorname{softplus}"))
register(Op("gelu", None, lambda o, a, c: (function("normal_cdf")(a[0]) + a[0] * function("normal_pdf")(a[0]),),
            "GELU", r"\operatorname{{GELU}}\left({0}\right)",
            "The GELU gate's local gradient is Φ(x) + x·φ(x): the normal CDF plus x times the normal density.",
            lambda x, const=None: numeric.gelu(x), function=True, torch=lambda torch: torch.nn.functional.gelu,
            elementary=lambda x: x * sp.erfc(-x / sp.sqrt(2)) / 2, exact=lambda x: S.Zero if x is S.Zero else None,
            tex_name=r"\operatorname{GELU}"))
# Φ is kept whole: written as erfc(−x/√2)/2, SymPy would turn erfc(−z) into 2 − erfc(z), and a kernel
# would lose every digit far left (Φ(−30) ≈ 4.9e−198 would come out as 0).
register(Op("normal_cdf", None, lambda o, a, c: (function("normal_pdf")(a[0]),),
            "Φ", r"\Phi\left({0}\right)", "The normal CDF's local gradient is the normal density φ(x).",
            lambda x, const=None: numeric.normal_cdf(x), function=True, torch=lambda torch: torch.special.ndtr,
            elementary=lambda x: sp.erfc(-x / sp.sqrt(2)) / 2,
            exact=lambda x: {S.Zero: S.Half, S.Infinity: S.One, S.NegativeInfinity: S.Zero}.get(x),
            tex_name=r"\Phi", meaning="is the standard normal CDF: the integral of φ(t) from −∞ to x"))
# φ is a gate of its own so that derivatives read Φ(x) + x·φ(x), as a course writes GELU′, not √2·x·e^(−x²/2)/(2√π)
register(Op("normal_pdf", None, lambda o, a, c: (-a[0] * o,),
            "φ", r"\varphi\left({0}\right)", "The normal density's local gradient is −x·φ(x).",
            lambda x, const=None: np.exp(-np.square(x) / 2) / np.sqrt(2 * np.pi), function=True,
            call_spellings=("varphi",), torch=lambda torch: lambda x: torch.exp(-x**2 / 2) / (2 * torch.pi) ** 0.5,
            elementary=_normal_density,
            exact=lambda x: {S.Zero: 1 / sp.sqrt(2 * sp.pi), S.Infinity: S.Zero, S.NegativeInfinity: S.Zero}.get(x),
            sign="positive", tex_name=r"\varphi", meaning="= e^(−x²/2)/√(2π) is the standard normal density"))
register(Op("relu", None, lambda o, a, c: (Heaviside(a[0], 0),),
            "ReLU", r"\operatorname{{ReLU}}\left({0}\right)", "ReLU passes the gradient where its input was positive and blocks it elsewhere.",
            lambda x, const=None: numeric.relu(x), function=True, torch=lambda torch: torch.relu,
            elementary=lambda x: Max(0, x),
            exact=lambda x: x if x.is_extended_nonnegative else S.Zero if x.is_extended_nonpositive else None,
            sign="nonnegative", tex_name=r"\operatorname{ReLU}",
            slips=(Slip("ReLU blocks the gradient where its input is not positive", local=lambda o, a, c: (S.One,)),),
            kinks=sign_of_argument))
_SLOPE = Param("slope", sp.Rational(1, 100))  # PyTorch's LeakyReLU default
register(Op("leaky_relu", None, with_param(_SLOPE, lambda o, x, slope: (slope + (1 - slope) * Heaviside(x, 0), Min(0, x))),
            "LeakyReLU({c})", r"\operatorname{{LeakyReLU}}\left({0}\right)",
            "Leaky ReLU passes the gradient where its input was positive and the slope times it elsewhere.",
            lambda x, const: numeric.leaky_relu(x, np.asarray(const, dtype=float)), function=True, kinks=sign_of_argument,
            params=(_SLOPE,),
            torch=torch_with_number("leaky_relu", lambda torch, x, slope: torch.where(x > 0, x, slope * x)),
            elementary=lambda x, slope: Max(0, x) + slope * Min(0, x),
            exact=lambda x, slope: x if x.is_extended_positive else slope * x if x.is_extended_nonpositive else None,
            tex_name=r"\operatorname{LeakyReLU}"))
_ALPHA = Param("alpha", S.One, "a nonnegative number", lambda value: value >= 0)  # PyTorch's ELU default
# left of 0, elu' = out + α = α·eˣ, written α·e^min(0, x): out + α cancels to nothing far left (x = −700),
# and a kernel evaluates both branches, where e^x alone would overflow far right
register(Op("elu", None, with_param(_ALPHA, lambda o, x, alpha: (Piecewise((1, x > 0), (alpha * sp.exp(Min(0, x)), True)),
                                                                  Min(0, sp.exp(x) - 1))),
            "ELU({c})", r"\operatorname{{ELU}}\left({0}\right)",
            "ELU passes the gradient where its input was positive, and out + α = α·eˣ times it elsewhere.",
            lambda x, const: np.where(np.asarray(x) > 0, x, np.asarray(const, dtype=float) * np.expm1(np.minimum(x, 0))),
            function=True, kinks=sign_of_argument, params=(_ALPHA,),
            torch=torch_with_number("elu", lambda torch, x, alpha: torch.where(
                x > 0, x, alpha * torch.expm1(torch.clamp(x, max=0)))),
            elementary=lambda x, alpha: Max(0, x) + alpha * (sp.exp(Min(0, x)) - 1),
            exact=lambda x, alpha: x if x.is_extended_positive else S.Zero if x.is_zero else None,
            tex_name=r"\operatorname{ELU}",
            slips=(Slip("ELU's local gradient left of 0 is out + α = α·eˣ, not α", local=lambda o, a, c: (
                Piecewise((1, a[0] > 0), (_ALPHA.default if c is None else c, True)),)),)))
register(Op("swish", None, lambda o, a, c: (function("sigmoid")(a[0]) * (1 + a[0] * (1 - function("sigmoid")(a[0]))),),
            "SiLU", r"\operatorname{{SiLU}}\left({0}\right)",
            "The SiLU (swish) gate's local gradient is σ(x)(1 + x(1 − σ(x))): σ(x) plus x times σ'(x).",
            lambda x, const=None: x * numeric.sigmoid(x), function=True, spellings=("silu",),
            torch=lambda torch: torch.nn.functional.silu, elementary=lambda x: x / (1 + sp.exp(-x)),
            exact=lambda x: S.Zero if x is S.Zero else None, tex_name=r"\operatorname{SiLU}",
            slips=(Slip("used σ(x) alone, dropping the x·σ'(x) term", local=lambda o, a, c: (function("sigmoid")(a[0]),)),)))
register(Op("step", None, lambda o, a, c: (S.Zero,),
            "step", r"H\left({0}\right)", "The step's gradient is zero wherever it is defined: nothing flows back through it.",
            lambda x, const: np.heaviside(x, np.asarray(const, dtype=float)), head=Heaviside, function=True,
            params=(Param("at_zero", S.Zero, "a number (the step's value at 0)", variable=False),),
            spellings=("heaviside", "Heaviside"), kinks=sign_of_argument,
            torch=lambda torch: lambda x, at_zero: torch.where(x == 0, at_zero, (x > 0).to(x.dtype)),
            meaning="= 1 for x > 0, 0 otherwise; H(x, c) is c at x = 0 and H(x) elsewhere"))

register(Op("max", lambda a, c: Max(*a), lambda o, a, c: tuple(_route(a, i, True) for i in range(len(a))),
            "max", r"\max\left({0}, {1}\right)", "A max gate routes the whole gradient to its larger input; the others get zero.",
            lambda *xs, const=None: np.max(xs, axis=0), head=Max, arity=None, function=True, spellings=("Max",),
            torch=lambda torch: lambda *a: functools.reduce(torch.maximum, a),
            slips=(Slip("a max gate routes the gradient to the larger input, not the smaller",
                        local=lambda o, a, c: tuple(_route(a, i, False) for i in range(len(a)))),),
            kinks=order_of_arguments))
register(Op("min", lambda a, c: Min(*a), lambda o, a, c: tuple(_route(a, i, False) for i in range(len(a))),
            "min", r"\min\left({0}, {1}\right)", "A min gate routes the whole gradient to its smaller input; the others get zero.",
            lambda *xs, const=None: np.min(xs, axis=0), head=Min, arity=None, function=True, spellings=("Min",),
            torch=lambda torch: lambda *a: functools.reduce(torch.minimum, a),
            kinks=order_of_arguments))
register(Op("floor", lambda a, c: sp.floor(a[0]), lambda o, a, c: (S.Zero,),
            "⌊·⌋", r"\left\lfloor {0} \right\rfloor",
            "The floor is flat between integers, so its gradient is zero wherever it is defined: nothing flows back through it.",
            lambda x, const=None: np.floor(x), head=sp.floor, function=True, torch=lambda torch: torch.floor,
            kinks=lambda args: [np.floor(args[0])]))


# --- float64-stable forms: kernels' stable rewrites produce them (symdl.rewrite), a user may write them too ---
register(Op("expm1", None, lambda o, a, c: (sp.exp(a[0]),),
            "expm1", r"\operatorname{{expm1}}\left({0}\right)", "The expm1 gate's local gradient is e^x.",
            lambda x, const=None: np.expm1(x), function=True, torch=lambda torch: torch.expm1,
            elementary=lambda x: sp.exp(x) - 1, exact=lambda x: S.Zero if x is S.Zero else None,
            tex_name=r"\operatorname{expm1}"))
register(Op("exprel", None, lambda o, a, c: (exprel_grad(a[0]),),
            "exprel", r"\operatorname{{exprel}}\left({0}\right)",
            "The exprel gate's local gradient is exprel′(x) = (eˣ(x − 1) + 1)/x², ½ at 0, computed without cancelling.",
            lambda x, const=None: numeric.exprel(x), function=True,
            torch=lambda torch: lambda x: torch.expm1(x) / x,  # as a PyTorch user writes it: PyTorch has no exprel
            elementary=lambda x: (sp.exp(x) - 1) / x,
            exact=lambda x: S.One if x is S.Zero else None, sign="positive", tex_name=r"\operatorname{exprel}"))
register(Op("log1p", None, lambda o, a, c: (1 / (1 + a[0]),),
            "log1p", r"\operatorname{{log1p}}\left({0}\right)", "The log1p gate's local gradient is 1/(1 + x).",
            lambda x, const=None: np.log1p(x), function=True, torch=lambda torch: torch.log1p,
            elementary=lambda x: sp.log(1 + x), exact=lambda x: S.Zero if x is S.Zero else None,
            tex_name=r"\operatorname{log1p}"))
register(Op("hypot", None, lambda o, a, c: (a[0] / o, a[1] / o),
            "hypot", r"\operatorname{{hypot}}\left({0}, {1}\right)",
            "The hypot gate's local gradients are x/√(x² + y²) and y/√(x² + y²): each input over the output.",
            lambda x, y, const=None: np.hypot(x, y), arity=2, function=True, torch=lambda torch: torch.hypot,
            elementary=lambda x, y: sp.sqrt(x**2 + y**2), sign="nonnegative", tex_name=r"\operatorname{hypot}"))
register(Op("logaddexp", None, lambda o, a, c: (function("sigmoid")(a[0] - a[1]), function("sigmoid")(a[1] - a[0])),
            "logaddexp", r"\operatorname{{logaddexp}}\left({0}, {1}\right)",
            "The logaddexp gate's local gradients are σ(x − y) and σ(y − x).",
            lambda x, y, const=None: np.logaddexp(x, y), arity=2, function=True, torch=lambda torch: torch.logaddexp,
            elementary=lambda x, y: sp.log(sp.exp(x) + sp.exp(y)), tex_name=r"\operatorname{logaddexp}"))
