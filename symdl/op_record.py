"""The op record: what one primitive gate is (:class:`Op`) and its declared parameters (:class:`Param`).

The records themselves are written in the op tables (:mod:`symdl.ops_arithmetic`,
:mod:`symdl.ops_activations`, :mod:`symdl.ops_softmax`) and registered in :mod:`symdl.ops`, which
every other module looks ops up in. This module also holds the small builders the tables share:
the kink quantities of non-smooth ops, a parametrised op's ``local``, and PyTorch calls that take
a parameter as a number.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np
import sympy as sp

from symdl.errors import SymdlError
from symdl.numbers import constant_text
from symdl.registry import Registry, Slip
from symdl.sympy_function import function_class

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
    rule_name: str = ""  # the rule a derivation names for this op's derivative, if not "known derivative"
    meaning: str = ""  # what f(x) is, for a "where f(x) …" line beside a formula that uses it (H, Φ, φ)
    # the derivative rule in a textbook's letters, law(index, position) -> ((lhs, rhs), what the letters stand
    # for), for a derivation's rule tree: ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ) with i = 1, j = 2
    law: Optional[Callable[[Optional[Expr], Optional[int]], tuple[tuple[Expr, Expr], tuple]]] = None
    # for an indexed op, how one output reads in a course's letter for a vector of the same arguments:
    # (that vector's op, form), log_softmax's ("softmax", log): log sᵢ, where s = softmax(x₁, …, xₙ)
    component: Optional[tuple[str, Callable[[Expr], Expr]]] = None

    def __post_init__(self):
        if len(self.params) > 1:
            raise ValueError(f"op {self.name!r}: a gate folds at most one parameter")
        if self.elementary is not None and self.head is None:
            object.__setattr__(self, "head", function_class(self))
        if self.forward is None:  # the head on the inputs and the parameter (folded or given)
            object.__setattr__(self, "forward", lambda args, const: self.head(*self._full(args, const)))

    def label(self, const: Optional[Expr] = None) -> str:
        """The glyph with its constant filled in, e.g. ``+1``, ``−1`` (a shift by −1, not ``+−1``), ``×½``
        or ``(·)²``; without one (a parameter given as an input) the placeholder is left out: ``LeakyReLU``."""
        if const is None:
            return self.glyph.replace("({c})", "")
        return _raised(self.glyph.format(c=constant_text(const))).replace("+−", "−")

    @property
    def indexed(self) -> bool:
        """Whether this is an n-ary op whose parameter picks one output of a vector function
        (softmax(x₁, …, xₙ)ᵢ): it is always written last and always given."""
        return self.arity is None and bool(self.params)

    def tex(self, operands: Sequence[str], const: Optional[Expr] = None) -> str:
        c = sp.latex(const) if const is not None else ""
        if self.arity is None and "{1}" not in self.latex:  # written with all its operands: f(x₁, …, xₙ)
            return self.latex.format(", ".join(operands), c=c)
        if self.arity is None and len(operands) > 2:  # n-ary: fold the binary form left to right
            return self.latex.format(self.tex(operands[:-1], const), operands[-1], c=c)
        return self.latex.format(*operands, c=c).replace("+ -", "- ")  # x - 1, not x + -1

    @property
    def flat(self) -> bool:
        """Whether every local derivative is identically 0 (floor, step): a kink then changes no gradient."""
        const = self.params[0].default if self.params else None
        return all(d == 0 for d in self.local(sp.Dummy(), [sp.Dummy() for _ in range(self.arity or 2)], const))

    def with_defaults(self, args: Sequence[Expr]) -> tuple:
        """The arguments with every missing parameter's default appended (an indexed op's is never missing)."""
        if self.indexed:
            return tuple(args)
        given = len(args) - (self.arity or 1)
        return tuple(args) + tuple(p.default for p in self.params[max(given, 0):])

    def _full(self, args: Sequence[Expr], const: Optional[Expr]) -> tuple:
        return self.with_defaults(tuple(args) + (() if const is None else (const,)))

    def fold(self, args: Sequence[Expr]) -> tuple[tuple, Optional[Expr]]:
        """A SymPy application's graph inputs and folded constant: a numeric parameter is folded,
        an expression stays an input."""
        count = self.arity or len(args) - (1 if self.indexed else 0)
        inputs, rest = tuple(args[:count]), tuple(args[count:])
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


REGISTRY: Registry[Op] = Registry("op")
register = REGISTRY.register


def function(name: str) -> type:
    """The SymPy class of a registered function op (σ for the softplus record's derivative)."""
    return REGISTRY[name].head


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
PLACE = "(·)"  # where a glyph's operand goes


def _raised(glyph: str) -> str:
    """A power as a textbook writes it: (·)^2 → (·)², 2^(·); (·)^(1/2) or (·)^(−1) otherwise (a single
    superscript, so a LaTeX printer can raise it without a double superscript)."""
    base, caret, exponent = glyph.partition("^")
    if not (caret and base and exponent):
        return glyph
    if exponent.isdigit():
        return base + exponent.translate(_SUPERSCRIPTS)
    if exponent == PLACE:  # 2^(·): the operand's place, which names no variable (an input may be x)
        return f"{base}^{exponent}"
    return f"{base}^({exponent})"


def sign_of_argument(args: Sequence) -> list:
    """The kink quantity of |x|, ReLU, step, sign: which side of 0 the argument is on (0 exactly on it)."""
    return [np.sign(args[0])]


def order_of_arguments(args: Sequence) -> list:
    """The kink quantities of max and min: the order of every pair of arguments (0 for a tie)."""
    return [np.sign(a - b) for a, b in itertools.combinations(args, 2)]


def with_param(param: Param, rule: Callable[..., tuple]) -> Locals:
    """A parametrised op's ``local`` from ``rule(out, x, param)``, its partials w.r.t. the input and
    the parameter: a folded parameter (``const``, default when None) gets no partial, one given as
    an input does."""
    def local(out, args, const):
        full = tuple(args) + ((param.default if const is None else const,) if len(args) == 1 else ())
        return rule(out, *full)[:len(args)]
    return local


def torch_with_number(functional: str, fallback: Callable) -> Callable:
    """A PyTorch activation taking its parameter as a Python number (F.leaky_relu, F.elu), or
    ``fallback`` written with torch.where when the parameter varies or is differentiated."""
    def make(torch):
        def call(x, param):
            if param.requires_grad or param.dim() > 0:
                return fallback(torch, x, param)
            return getattr(torch.nn.functional, functional)(x, float(param))
        return call
    return make
