"""Turning parsed pieces into SymPy, shared by the text and the LaTeX parser.

Both parsers hand every number, name, call, sum, product and power to one
:class:`Builder` per input, so the rules live in one place, with the limit that
guards each piece of work (what a name stands for is :mod:`._names`). Numbers are
checked *before* SymPy computes them: a power of numbers is priced by its
digits (|n|·log10|base|), numeric function arguments by their magnitude, so
``9**9**9**9`` or ``sin(exp(exp(exp(3))))`` are refused instead of evaluated.
"""

from __future__ import annotations

import collections
import functools
import math
import re
from fractions import Fraction
from typing import Callable, Sequence

import mpmath
import sympy as sp
from sympy.core.parameters import distribute

from symdl.errors import LimitError, ParseError, SymdlError
from symdl.limits import LIMITS
from symdl.ops import REGISTRY
from symdl.parsing._names import CONSTANTS, function_names, known_functions, quote, resolve, symbol

_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)$", re.ASCII)

# SymPy prints Heaviside(x, 1/2) as "Heaviside(x)", so that spelling keeps SymPy's H(0) = 1/2.
_SYMPY_DEFAULTS = {sp.Heaviside.__name__: sp.S.Half}

_LOG10_E = math.log10(math.e)
_FREE_DIGITS = 15  # folding numbers this small costs nothing worth counting

# The parsers' work in this process: "tokens" handed to a parser, "reads" of a token. Tests read it to
# show a bomb was refused early and parsing stays linear, instead of timing them on a loaded machine.
WORK: collections.Counter[str] = collections.Counter()


def _int_digits(n: int) -> float:
    """log10|n| (0 for 0); math.log10 is exact enough and instant even for huge integers."""
    return math.log10(abs(n)) if n else 0.0


def _rational_digits(expr: sp.Expr) -> float:
    """Digits of the rationals SymPy multiplies out when ``expr`` is raised to a power or multiplied."""
    total, stack = 0.0, [(expr, 1.0)]
    while stack:
        node, weight = stack.pop()
        if node.is_Rational:
            total += weight * (_int_digits(node.p) + _int_digits(node.q))
        elif node.is_Mul:
            stack.extend((arg, weight) for arg in node.args)
        elif node.is_Pow and node.exp.is_Rational:
            stack.append((node.base, weight * float(min(abs(node.exp), 10**300))))
    return total


def _log10_abs(value: sp.Expr) -> float:
    """log10|value| of a number; cheap because every number built so far is bounded in size."""
    if value.is_Rational:
        return -math.inf if value == 0 else _int_digits(value.p) - _int_digits(value.q)
    try:
        approx = abs(value.evalf(5))
    except (ArithmeticError, ValueError, TypeError):  # e.g. Max of complex numbers; SymPy refuses it later
        return 0.0
    if not approx.is_Float:  # not evaluable (e.g. zoo); finish() refuses what matters
        return 0.0
    return -math.inf if approx == 0 else float(mpmath.log10(mpmath.mpf(approx)))


def _stays_nested(op, args: Sequence[sp.Expr], const: sp.Expr | None, nested: dict[int, sp.Expr]) -> bool:
    """Whether ``f(f(u))`` is what SymPy would build anyway: the argument is an unevaluated call of the same
    one-argument function, not a number, and SymPy leaves f(f(d)) alone for a real stand-in d. Building it
    unevaluated skips SymPy's assumption queries, which walk the whole nest on every call (each level cost
    O(depth): tanh nested 190 deep took 0.3 s to parse, log 0.6 s). ``nested`` holds the calls built so, known
    not to be numbers (asking again would walk the nest too)."""
    if op.arity != 1 or op.params or const is not None or op.head is None or len(args) != 1:
        return False
    (arg,) = args
    return type(arg) is op.head and (id(arg) in nested or not arg.is_number) and _nest_stays(op.name)


@functools.cache
def _nest_stays(name: str) -> bool:
    """f(f(d)) of a real symbol is left as it is (tanh, log, sin), not rewritten (|(|d|)| is |d|)."""
    op = REGISTRY[name]
    inner = op.forward((sp.Dummy(real=True),), None)
    return type(inner) is op.head and op.forward((inner,), None) == op.head(inner, evaluate=False)


class Cursor:
    """Reading position in a token list that ends with an end marker; never moves past it.
    Shared by the text and LaTeX parsers, which differ only in their grammars."""

    def __init__(self, text: str, tokens: list):
        self.text, self.tokens, self.at = text, tokens, 0
        self.build = Builder(text)
        WORK["tokens"] += len(tokens)

    def _peek(self):
        return self.tokens[self.at]

    def _advance(self):
        WORK["reads"] += 1
        token = self.tokens[self.at]
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token


class Builder:
    """Builds the SymPy expression for one input, pricing the numeric work as it goes."""

    def __init__(self, text: str):
        self.text = text
        self.folded = 0.0  # digits of numbers folded from constants so far in this input
        self.nested: dict[int, sp.Expr] = {}  # calls built unevaluated (see _stays_nested), by id, kept alive

    def number(self, literal: str) -> sp.Rational:
        """A literal, exactly: ``0.1`` is 1/10, never a float."""
        if len(literal) > LIMITS.max_number_length:
            raise LimitError("the length of a number", len(literal), "max_number_length", LIMITS.max_number_length)
        exponent = _EXPONENT.search(literal)
        if exponent and abs(int(exponent.group(1))) > LIMITS.max_literal_digits:
            raise LimitError("the digits of a number", literal, "max_literal_digits", LIMITS.max_literal_digits)
        value = Fraction(literal)
        return sp.Rational(value.numerator, value.denominator)

    def name(self, name: str, position: int) -> sp.Expr:
        """A bare name: a constant or a real symbol; a function's name must be called."""
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in function_names():
            raise ParseError(f"{quote(name)} is a function; call it as {name}(...)", self.text, position)
        return symbol(name)

    def lookup(self, name: str, position: int) -> str:
        """The registry op a called name stands for; unknown names list the known ones."""
        op = resolve(name)
        if op is None:
            raise ParseError(f"unknown function {quote(name)} (known functions: {known_functions()}); "
                             f"to multiply, write {name}*(...)", self.text, position)
        return op

    def call(self, name: str, args: Sequence[sp.Expr], position: int,
             index: tuple[sp.Integer, int] | None = None) -> sp.Expr:
        """``name(args)`` through the op registry, after checking arity and numeric arguments; ``index``
        is a vector function's component ``[i]`` and where it was written."""
        op = REGISTRY[self.lookup(name, position)]
        self._check_arity(op, name, len(args), position)
        args, const = list(args), None
        if op.indexed or index is not None:
            const = self._component(op, name, len(args), index, position)
        elif op.params:
            const = args.pop() if len(args) > (op.arity or 1) else _SYMPY_DEFAULTS.get(name)
            self._check_param(op, name, const, position)
            if const is not None and not const.is_number:
                args, const = args + [const], None
        if _stays_nested(op, args, const, self.nested):
            built = op.head(args[0], evaluate=False)
            built.is_commutative  # noqa: B018  known level by level (asked top-down, it recurses down the nest)
            self.nested[id(built)] = built
            return built
        for arg in args:
            self._check_argument(name, arg)
        if op.name == "exp":
            self._check_exp(args[0])
        if op.name == "sqrt":
            self._check_power(args[0], sp.S.Half)
        built = self._attempt(lambda: op.forward(tuple(args), const),
                              lambda: f"{name}({', '.join(str(a) for a in (*args, const) if a is not None)})", position)
        if op.arity is None and op.head is not None and isinstance(built, op.head) \
                and len(built.args) > LIMITS.max_arguments:
            # SymPy flattens max(x0, max(x1, …)) into one call: its arguments are counted across the nest
            raise LimitError(f"the number of arguments of {name}, counted across nested calls", len(built.args),
                             "max_arguments", LIMITS.max_arguments)
        return built

    def power(self, base: sp.Expr, exponent: sp.Expr, position: int | None = None) -> sp.Expr:
        """``base**exponent``, refused when the exponent or the folded number would be too large."""
        self._check_power(base, exponent)
        return self._attempt(lambda: base**exponent, lambda: f"({base})**({exponent})", position)

    def reciprocal(self, value: sp.Expr) -> sp.Expr:
        """1/value, as SymPy divides: a/b is a·b**-1."""
        return sp.S.One / value

    def product(self, factors: Sequence[sp.Expr], negative: bool = False) -> sp.Expr:
        """One n-ary product (long products stay linear); ``negative`` signs the whole product,
        since SymPy prints Mul(-1, a, b) as -a*b."""
        digits = sum(_rational_digits(f) for f in factors)
        if digits > LIMITS.max_literal_digits:
            raise LimitError("the digits of a product of numbers", f"about {digits:.0f}",
                             "max_literal_digits", LIMITS.max_literal_digits)
        if len(factors) == 1:
            product = factors[0]
        else:
            with distribute(False):  # 2*(x*y + z) stays one product, as written: a ×2 gate after the sum
                product = REGISTRY["mul"].forward(tuple(factors), None)
        return -product if negative else product

    def total(self, terms: Sequence[sp.Expr]) -> sp.Expr:
        """One n-ary sum; adding fractions multiplies denominators, so those are priced first."""
        if len(terms) == 1:
            return terms[0]
        denominators: dict[sp.Expr, float] = {}
        for term in (t for term in terms for t in sp.Add.make_args(term)):
            coeff, rest = term.as_coeff_Mul()
            if coeff.is_Rational:
                denominators[rest] = denominators.get(rest, 0.0) + _int_digits(coeff.q)
        digits = max(denominators.values(), default=0.0)
        if digits > LIMITS.max_literal_digits:
            raise LimitError("the common denominator of a sum", f"about {digits:.0f} digits",
                             "max_literal_digits", LIMITS.max_literal_digits)
        return REGISTRY["add"].forward(tuple(terms), None)

    def finish(self, expr: sp.Expr) -> sp.Expr:
        """Refuse undefined results (1/0, log(0)), which no later step can use."""
        if expr.has(sp.zoo, sp.nan):
            raise ParseError("the expression is undefined (it evaluates to zoo or nan, e.g. a division by zero)",
                             self.text)
        return expr

    def _component(self, op, name: str, count: int, index: tuple[sp.Integer, int] | None, position: int) -> sp.Integer:
        """The ``[i]`` of a vector function (softmax(x1, x2, x3)[1]): required there, refused elsewhere."""
        if not op.indexed:
            raise ParseError(f"{name}(...) is a number, not a vector: it takes no [i]", self.text, index[1])
        if index is None:
            raise ParseError(f"{name} of several arguments is a vector: pick a component, e.g. {name}(x1, x2)[1] "
                             "(counted from 1)", self.text, position)
        value, at = index
        if not 1 <= value <= count:
            raise ParseError(f"{name}'s {op.params[0].name} [{value}] must be one of 1, …, {count} "
                             f"(one per argument)", self.text, at)
        return value

    def _check_param(self, op, name: str, value: sp.Expr | None, position: int) -> None:
        """A parameter argument: a number in its domain, or an expression where the record allows one."""
        if value is None:
            return
        (param,) = op.params
        if value.is_number:
            try:
                op.check(param, value)
            except SymdlError as error:
                raise ParseError(str(error), self.text, position) from None
        elif not param.variable:
            raise ParseError(f"the parameter {param.name} of {name} must be {param.domain}", self.text, position)

    def _check_arity(self, op, name: str, count: int, position: int) -> None:
        if op.arity is None:
            if count > LIMITS.max_arguments:
                raise LimitError(f"the number of arguments of {name}", count, "max_arguments", LIMITS.max_arguments)
            ok, wanted = count >= 2, "at least 2 arguments"
        elif op.params:
            most = op.arity + len(op.params)
            ok, wanted = op.arity <= count <= most, f"{op.arity} or {most} arguments"
        else:
            ok, wanted = count == op.arity, f"{op.arity} argument" + ("s" if op.arity != 1 else "")
        if not ok:
            raise ParseError(f"{name} takes {wanted}, got {count}", self.text, position)

    def _check_argument(self, name: str, arg: sp.Expr) -> None:
        """Numeric arguments stay below 10**max_literal_digits: SymPy evaluates functions of numbers."""
        size = _log10_abs(arg) if arg.is_number else -math.inf
        if size > LIMITS.max_literal_digits:
            raise LimitError(f"the size of a number given to {name}", f"10^{size:.0f}",
                             "max_literal_digits", LIMITS.max_literal_digits)

    def _check_exp(self, arg: sp.Expr) -> None:
        """exp(a) of a number has a·log10(e) digits; SymPy also rewrites exp(n·log(b)) as b**n."""
        if arg.is_number:
            size = _log10_abs(arg)
            digits = math.inf if size > 300 else 10**size * _LOG10_E
            if digits > LIMITS.max_literal_digits:
                raise LimitError("the digits of exp of a number", f"about 10^{size:.0f}",
                                 "max_literal_digits", LIMITS.max_literal_digits)
        logs = [f for f in sp.Mul.make_args(arg) if isinstance(f, sp.log)]
        if len(logs) == 1:
            self._check_power(logs[0].args[0], arg / logs[0])

    def _check_power(self, base: sp.Expr, exponent: sp.Expr) -> None:
        """Price a power before SymPy computes it: about d = |n|·log10|b| digits, or -log10(d) digits
        of precision when the result is that close to 1 (which comparing it would need)."""
        if exponent.is_Rational and abs(exponent) > LIMITS.max_exponent:
            raise LimitError("the exponent", exponent, "max_exponent", LIMITS.max_exponent)
        if not exponent.is_number:
            return
        per_unit = _rational_digits(base)
        if base.is_number and not base.is_Rational:
            per_unit += abs(_log10_abs(base))
        size = _log10_abs(exponent)
        if per_unit > 0 and size > -math.inf:
            scale = size + math.log10(per_unit)
            self._fold(math.inf if scale > 300 else max(10**scale, -scale))

    def _fold(self, digits: float) -> None:
        """Charge this input for a number SymPy is about to compute from constants."""
        if digits <= _FREE_DIGITS:
            return
        self.folded += digits
        if self.folded > LIMITS.max_literal_digits:
            raise LimitError("the digits of numbers computed from constants", f"about {self.folded:.0f}",
                             "max_literal_digits", LIMITS.max_literal_digits)

    def _attempt(self, build: Callable[[], sp.Expr], what: Callable[[], str], position: int | None) -> sp.Expr:
        """Run a SymPy constructor; its complaints (e.g. Max of complex numbers) become a ParseError, and
        so does a complex result (sqrt(-1), log(-2)): every value symdl computes is real. ``what()`` names
        the call, written only for a message (for every call it cost the square of the nesting depth)."""
        try:
            built = build()
        except SymdlError:
            raise
        except (ArithmeticError, ValueError, TypeError, NotImplementedError) as err:
            raise ParseError(f"cannot build {what()}: {err}", self.text, position) from None
        if built.has(sp.I) or (built.is_number and built.is_extended_real is False and not built.has(sp.zoo, sp.nan)):
            raise ParseError(f"{what()} is not a real number (it is {built}); symdl computes with real numbers only",
                             self.text, position)
        return built
