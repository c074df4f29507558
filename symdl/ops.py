"""The op registry: one record per primitive gate, and nothing else.

A record holds everything any part of symdl needs about an op: how SymPy
builds it (``forward``), its local derivatives in canonical form written in
terms of its inputs and its own output (``local``; the HIPS-autograd ``ans``
idea: tanh' = 1 − out², σ' = out(1 − out), exp' = out), its declared parameters
with their defaults and domains (leaky_relu's slope), its diagram glyph and
LaTeX, a NumPy implementation for kernels, the PyTorch function a user would
call, its other spellings, and the sentence a teacher says. An activation that
SymPy lacks also gives its ``elementary`` definition, and its SymPy ``Function``
class (``head``: eval, fdiff, evalf, rewrite, LaTeX, code printing) is made from
the record (:mod:`symdl.sympy_function`). Adding an op means adding one
``register(...)`` call; the graph, the derivations, the kernels, gradcheck, the
parsers and the printers only ever look ops up.

Some gates carry a constant folded into them, as lecture circuits draw them
(``*-1``, ``+1``, ``×2``, ``x²``), or a numeric parameter (leaky_relu's slope):
``const`` is that number, else ``None``. A parameter given as an expression
instead (a learnable slope, PReLU) is one more input of the gate.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np
import sympy as sp
from sympy import Heaviside, Max, Min, Piecewise, S

from symdl import numeric
from symdl.errors import SymdlError
from symdl.registry import Registry, Slip
from symdl.sympy_function import exprel_grad, function_class

Expr = sp.Expr
Locals = Callable[[Expr, Sequence[Expr], Optional[Expr]], tuple]


@dataclasses.dataclass(frozen=True)
class Param:
    """A declared parameter of an op: its name (the keyword in ``net.apply``), default and domain.
    ``variable``: it may also be an expression, a graph input of its own (a learnable slope)."""

    name: str
    default: Expr
    domain: str = "any real number"  # as said in error messages
    allowed: Callable[[float], bool] = lambda value: True
    variable: bool = True


@dataclasses.dataclass(frozen=True)
class Op:
    """One primitive gate. ``local(out, args, const)`` returns d(out)/d(arg) for each arg."""

    name: str
    forward: Optional[Callable[[Sequence[Expr], Optional[Expr]], Expr]]  # None: the head on the arguments
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
    params: tuple[Param, ...] = ()  # at most one: a gate folds one constant
    spellings: tuple[str, ...] = ()  # other names it may be called by in expression text (``ln``, ``silu``)
    call_spellings: tuple[str, ...] = ()  # names that stand for it only when called (``sigma(x)``)
    torch: Optional[Callable[[Any], Callable]] = None  # torch module -> the function a PyTorch user calls
    # for an activation SymPy lacks: its definition in elementary functions, f(x, *params) (evalf, rewrite,
    # lambdify), its exact values (SymPy's ``eval``: a value or None), its sign for real input and LaTeX name
    elementary: Optional[Callable[..., Expr]] = None
    exact: Optional[Callable[..., Optional[Expr]]] = None
    sign: Optional[str] = None  # "positive" or "nonnegative" for real input
    tex_name: str = ""

    def __post_init__(self):
        if len(self.params) > 1:
            raise ValueError(f"op {self.name!r}: a gate folds at most one parameter")
        if self.elementary is not None and self.head is None:
            object.__setattr__(self, "head", function_class(self))
        if self.forward is None:  # the head on the inputs and the parameter (folded or given)
            object.__setattr__(self, "forward", lambda args, const: self.head(*self._full(args, const)))

    def label(self, const: Optional[Expr] = None) -> str:
        """The glyph with its constant filled in, e.g. ``+1`` or ``×-1``; without one (a parameter
        given as an input) the placeholder is left out: ``LeakyReLU``."""
        return self.glyph.format(c=_short(const)) if const is not None else self.glyph.replace("({c})", "")

    def tex(self, operands: Sequence[str], const: Optional[Expr] = None) -> str:
        c = sp.latex(const) if const is not None else ""
        if self.arity is None and len(operands) > 2:  # n-ary: fold the binary form left to right
            return self.latex.format(self.tex(operands[:-1], const), operands[-1], c=c)
        return self.latex.format(*operands, c=c)

    @property
    def flat(self) -> bool:
        """Whether every local derivative is identically 0 (floor, step): a kink then changes no gradient."""
        return all(d == 0 for d in self.local(sp.Dummy(), [sp.Dummy() for _ in range(self.arity or 2)], None))

    def with_defaults(self, args: Sequence[Expr]) -> tuple:
        """The arguments with every missing parameter's default appended."""
        given = len(args) - (self.arity or 1)
        return tuple(args) + tuple(p.default for p in self.params[max(given, 0):])

    def _full(self, args: Sequence[Expr], const: Optional[Expr]) -> tuple:
        return self.with_defaults(tuple(args) + (() if const is None else (const,)))

    def fold(self, args: Sequence[Expr]) -> tuple[tuple, Optional[Expr]]:
        """A SymPy application's graph inputs and folded constant: a numeric parameter is folded,
        an expression stays an input."""
        inputs, rest = tuple(args[:self.arity or len(args)]), tuple(args[self.arity or len(args):])
        if self.params and rest and all(value.is_number for value in rest):
            return inputs, rest[0]
        return inputs + rest, None

    def constant(self, params: Mapping[str, Any]) -> Optional[Any]:
        """The folded constant from keyword parameters (``slope=0.2``), checked against the
        declaration: the value given, else the parameter's default (None for an op without one)."""
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(declared))
        if unknown:
            takes = ", ".join(declared) or "none"
            raise SymdlError(f"{self.name} takes no parameter {', '.join(unknown)} (its parameters: {takes})")
        for name, value in params.items():
            self.check(declared[name], value)
        return next(iter(params.values()), self.params[0].default if self.params else None)

    def check(self, param: Param, value: Any) -> None:
        """A numeric parameter value must lie in its domain."""
        number = sp.Number(value) if isinstance(value, (int, float)) else value
        if getattr(number, "is_number", False) and not param.allowed(float(number)):
            raise SymdlError(f"{self.name}'s {param.name} must be {param.domain}, not {value}")


def _short(value: Expr) -> str:
    return str(value).replace(" ", "")


REGISTRY: Registry[Op] = Registry("op")
register = REGISTRY.register
get = REGISTRY.__getitem__


def function(name: str) -> type:
    """The SymPy class of a registered function op (σ for the softplus record's derivative)."""
    return get(name).head


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


def defined_functions() -> dict[str, Op]:
    """The function ops whose SymPy class is made from their record, by class name."""
    return {op.head.__name__: op for op in REGISTRY.values() if op.elementary is not None}


def numpy_functions() -> dict[str, Callable]:
    """The kernels' table for lambdify: each record-made SymPy function, and each function op with a
    parameter, by class name, as the NumPy function its kernel code calls positionally
    (``leaky_relu(x, slope)``). Named here, Heaviside prints as one call: max/min route their gradient
    through Heaviside(x − max(rest), 1/2), which SymPy's printer would otherwise rewrite as a Piecewise
    and *simplify* each condition (PSLQ on random points: 7 s for max of 6 inputs, minutes for 10)."""
    def call(op: Op) -> Callable:
        arity = op.arity or 1
        return lambda *args: op.numpy(*args[:arity], const=args[arity] if len(args) > arity else None)
    return {op.head.__name__: call(op) for op in REGISTRY.values()
            if op.elementary is not None or (op.function and op.params)}


def _others_product(args: Sequence[Expr], i: int) -> Expr:
    return sp.Mul(*(a for j, a in enumerate(args) if j != i))


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


def sign_of_argument(args: Sequence) -> list:
    """The kink quantity of |x|, ReLU, step, sign: which side of 0 the argument is on (0 exactly on it)."""
    return [np.sign(args[0])]


def order_of_arguments(args: Sequence) -> list:
    """The kink quantities of max and min: the order of every pair of arguments (0 for a tie)."""
    return [np.sign(a - b) for a, b in itertools.combinations(args, 2)]


def _with_param(param: Param, rule: Callable[..., tuple]) -> Locals:
    """A parametrised op's ``local`` from ``rule(out, x, param)``, its partials w.r.t. the input and
    the parameter: a folded parameter (``const``, default when None) gets no partial, one given as
    an input does."""
    def local(out, args, const):
        full = tuple(args) + ((param.default if const is None else const,) if len(args) == 1 else ())
        return rule(out, *full)[:len(args)]
    return local


def _torch_with_number(functional: str, fallback: Callable) -> Callable:
    """A PyTorch activation taking its parameter as a Python number (F.leaky_relu, F.elu), or
    ``fallback`` written with torch.where when the parameter varies or is differentiated."""
    def make(torch):
        def call(x, param):
            if param.requires_grad or param.dim() > 0:
                return fallback(torch, x, param)
            return getattr(torch.nn.functional, functional)(x, float(param))
        return call
    return make


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
            lambda x, const=None: np.exp(x), head=sp.exp, function=True, torch=lambda torch: torch.exp))
register(Op("log", lambda a, c: sp.log(a[0]), lambda o, a, c: (1 / a[0],),
            "log", r"\log\left({0}\right)", "The log gate's local gradient is 1/x.",
            lambda x, const=None: np.log(x), head=sp.log, function=True, torch=lambda torch: torch.log, spellings=("ln",)))
register(Op("sqrt", lambda a, c: sp.sqrt(a[0]), lambda o, a, c: (1 / (2 * o),),
            "√", r"\sqrt{{{0}}}", "The square-root gate's local gradient is 1/(2·out).",
            lambda x, const=None: np.sqrt(x), function=True))
register(Op("abs", lambda a, c: sp.Abs(a[0]), lambda o, a, c: (sp.sign(a[0]),),
            "|x|", r"\left|{0}\right|", "The abs gate passes the gradient with the sign of its input (0 at 0).",
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
            "tanh", r"\tanh\left({0}\right)", "The tanh gate's local gradient is 1 − out².",
            lambda x, const=None: np.tanh(x), head=sp.tanh, function=True, torch=lambda torch: torch.tanh,
            slips=(Slip("used tanh itself instead of 1 − tanh²", local=lambda o, a, c: (o,)),
                   Slip("used 1 − x² on the input instead of 1 − tanh²(x)", local=lambda o, a, c: (1 - a[0]**2,)),
                   Slip("inverted the fraction: 1 − 1/tanh² instead of 1 − tanh²",
                        local=lambda o, a, c: (1 - 1 / o**2,)))))
def _normal_density(x: Expr) -> Expr:
    return sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)


register(Op("sigmoid", None, lambda o, a, c: (o * (1 - o),),
            "σ", r"\sigma\left({0}\right)", "The sigmoid gate's local gradient is out·(1 − out).",
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
register(Op("gelu", None, lambda o, a, c: (function("normal_cdf")(a[0]) + a[0] * _normal_density(a[0]),),
            "GELU", r"\operatorname{{GELU}}\left({0}\right)",
            "The GELU gate's local gradient is Φ(x) + x·φ(x): the normal CDF plus x times the normal density.",
            lambda x, const=None: numeric.gelu(x), function=True, torch=lambda torch: torch.nn.functional.gelu,
            elementary=lambda x: x * sp.erfc(-x / sp.sqrt(2)) / 2, exact=lambda x: S.Zero if x is S.Zero else None,
            tex_name=r"\operatorname{GELU}"))
# Φ is kept whole: written as erfc(−x/√2)/2, SymPy would turn erfc(−z) into 2 − erfc(z), and a kernel
# would lose every digit far left (Φ(−30) ≈ 4.9e−198 would come out as 0).
register(Op("normal_cdf", None, lambda o, a, c: (_normal_density(a[0]),),
            "Φ", r"\Phi\left({0}\right)", "The normal CDF's local gradient is the normal density φ(x).",
            lambda x, const=None: numeric.normal_cdf(x), function=True, torch=lambda torch: torch.special.ndtr,
            elementary=lambda x: sp.erfc(-x / sp.sqrt(2)) / 2,
            exact=lambda x: {S.Zero: S.Half, S.Infinity: S.One, S.NegativeInfinity: S.Zero}.get(x),
            tex_name=r"\Phi"))
register(Op("relu", None, lambda o, a, c: (Heaviside(a[0], 0),),
            "ReLU", r"\operatorname{{ReLU}}\left({0}\right)", "ReLU passes the gradient where its input was positive and blocks it elsewhere.",
            lambda x, const=None: numeric.relu(x), function=True, torch=lambda torch: torch.relu,
            elementary=lambda x: Max(0, x),
            exact=lambda x: x if x.is_extended_nonnegative else S.Zero if x.is_extended_nonpositive else None,
            sign="nonnegative", tex_name=r"\operatorname{ReLU}",
            slips=(Slip("ReLU blocks the gradient where its input is not positive", local=lambda o, a, c: (S.One,)),),
            kinks=sign_of_argument))
_SLOPE = Param("slope", sp.Rational(1, 100))  # PyTorch's LeakyReLU default
register(Op("leaky_relu", None, _with_param(_SLOPE, lambda o, x, slope: (slope + (1 - slope) * Heaviside(x, 0), Min(0, x))),
            "LeakyReLU({c})", r"\operatorname{{LeakyReLU}}\left({0}\right)",
            "Leaky ReLU passes the gradient where its input was positive and the slope times it elsewhere.",
            lambda x, const: numeric.leaky_relu(x, np.asarray(const, dtype=float)), function=True, kinks=sign_of_argument,
            params=(_SLOPE,),
            torch=_torch_with_number("leaky_relu", lambda torch, x, slope: torch.where(x > 0, x, slope * x)),
            elementary=lambda x, slope: Max(0, x) + slope * Min(0, x),
            exact=lambda x, slope: x if x.is_extended_positive else slope * x if x.is_extended_nonpositive else None,
            tex_name=r"\operatorname{LeakyReLU}"))
_ALPHA = Param("alpha", S.One, "a nonnegative number", lambda value: value >= 0)  # PyTorch's ELU default
# left of 0, elu' = out + α = α·eˣ, written α·e^min(0, x): out + α cancels to nothing far left (x = −700),
# and a kernel evaluates both branches, where e^x alone would overflow far right
register(Op("elu", None, _with_param(_ALPHA, lambda o, x, alpha: (Piecewise((1, x > 0), (alpha * sp.exp(Min(0, x)), True)),
                                                                  Min(0, sp.exp(x) - 1))),
            "ELU({c})", r"\operatorname{{ELU}}\left({0}\right)",
            "ELU passes the gradient where its input was positive, and out + α = α·eˣ times it elsewhere.",
            lambda x, const: np.where(np.asarray(x) > 0, x, np.asarray(const, dtype=float) * np.expm1(np.minimum(x, 0))),
            function=True, kinks=sign_of_argument, params=(_ALPHA,),
            torch=_torch_with_number("elu", lambda torch, x, alpha: torch.where(
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
            torch=lambda torch: lambda x, at_zero: torch.where(x == 0, at_zero, (x > 0).to(x.dtype))))
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
            "⌊x⌋", r"\left\lfloor {0} \right\rfloor",
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
            "The hypot gate's local gradients are x/out and y/out.",
            lambda x, y, const=None: np.hypot(x, y), arity=2, function=True, torch=lambda torch: torch.hypot,
            elementary=lambda x, y: sp.sqrt(x**2 + y**2), sign="nonnegative", tex_name=r"\operatorname{hypot}"))
register(Op("logaddexp", None, lambda o, a, c: (function("sigmoid")(a[0] - a[1]), function("sigmoid")(a[1] - a[0])),
            "logaddexp", r"\operatorname{{logaddexp}}\left({0}, {1}\right)",
            "The logaddexp gate's local gradients are σ(x − y) and σ(y − x).",
            lambda x, y, const=None: np.logaddexp(x, y), arity=2, function=True, torch=lambda torch: torch.logaddexp,
            elementary=lambda x, y: sp.log(sp.exp(x) + sp.exp(y)), tex_name=r"\operatorname{logaddexp}"))
