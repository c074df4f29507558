"""A rule-based differentiator that writes down every rule it applies.

``derive`` first reads the input in canonical form (an exponential form becomes
tanh/sigmoid/softplus), then differentiates top-down with the textbook rules —
sum, constant multiple, product, quotient, power, general power, chain — and
records one :class:`~symdl.derivation.Step` per rule, in reading order. The
derivative of every function comes from the op registry (``op.local``, written
in terms of the op's own output), never from a second table here; with
``explain=True`` a function that has an exponential definition (tanh, sigmoid,
softplus) also gets the textbook proof of its derivative from that definition.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Callable, Union

import sympy as sp
from sympy import Add, Derivative, Mul, Pow, S

from symdl import ops
from symdl.derivation import Derivation, Step
from symdl.errors import LimitError, SymdlError
from symdl.limits import LIMITS
from symdl.rewrite import CANONICAL, apply_rules, canonical

Expr = sp.Expr
# A rule's result as a function of "the derivative of a part": called once with unevaluated
# Derivatives (the step a reader sees) and once with the real derivatives (the value).
Form = Callable[[Callable[[Expr], Expr]], Expr]
RuleUse = tuple[str, str, Form]  # (rule name, the teacher's note, how the derivative is built)


def derive(expr: Union[Expr, str], wrt: Union[sp.Symbol, str], explain: bool = True) -> Derivation:
    """d(expr)/d(wrt) in canonical form, with the steps a teacher would write. A SymPy user's own
    symbols are symdl's by name, and the derivation is given back in them."""
    (expr, back), ours = _as_expr(expr), _as_symbol(wrt)
    if isinstance(wrt, sp.Symbol) and wrt != ours:
        back[ours] = wrt
    return _in_symbols(_derive(expr, ours, explain), back)


def _derive(expr: Expr, wrt: sp.Symbol, explain: bool) -> Derivation:
    _check_size(expr)
    steps: list[Step] = []
    start, fired = apply_rules(expr, CANONICAL)
    if fired:
        names = ", ".join(dict.fromkeys(fired))
        steps.append(Step(expr, start, "recognise", f"Recognise the textbook form ({names})."))
    raw = _Differentiator(wrt, steps, explain, _fresh_symbol(start, wrt)).diff(start)
    result = _tidy(raw)
    whole = Derivative(start, wrt)
    if not any(step.lhs == whole and step.rhs == result for step in steps):
        steps.append(Step(whole, result, "canonical form",
                          "Multiply the pieces out and write the result in canonical form."))
    return Derivation(expr, wrt, steps, result)


def _as_expr(expr: Union[Expr, str]) -> tuple[Expr, dict]:
    """Text goes through symdl's own whitelisting parser, never sympify; a SymPy expression is
    taken in symdl's symbols, with the map back to the user's."""
    from symdl.parsing import own_symbols, parse
    if isinstance(expr, str):
        return parse(expr), {}
    return own_symbols(expr)


def _in_symbols(derivation: Derivation, back: dict) -> Derivation:
    """The derivation with symdl's symbols replaced by the user's."""
    if not back:
        return derivation
    steps = [dataclasses.replace(step, lhs=step.lhs.xreplace(back), rhs=step.rhs.xreplace(back))
             for step in derivation.steps]
    return Derivation(derivation.expression.xreplace(back), derivation.wrt.xreplace(back), steps,
                      derivation.result.xreplace(back))


def _as_symbol(wrt: Union[sp.Symbol, str]) -> sp.Symbol:
    """A name is checked as on the command line and made by the one symbol factory; a SymPy
    Symbol is symdl's symbol of its name."""
    from symdl.parsing import parse_names, symbol
    if not isinstance(wrt, str):
        return symbol(wrt.name)
    names = parse_names(wrt)
    if len(names) != 1:
        raise SymdlError(f"derive takes one variable, got {wrt!r}")
    return symbol(names[0])


def _check_size(expr: Expr) -> None:
    count = sp.count_ops(expr)
    if count > LIMITS.max_nodes:
        raise LimitError("number of operations in the expression", count, "max_nodes", LIMITS.max_nodes)


def _tidy(expr: Expr) -> Expr:
    """Canonical form, then common factors pulled out of sums (2 - 2·tanh(u)² → 2·(1 - tanh(u)²)).

    Function applications are held aside meanwhile, so their arguments keep the form the
    user wrote (σ(2x + 2y), not σ(2(x + y))). Cheap and local, unlike simplify().
    """
    expr = canonical(expr)
    held = {f: sp.Dummy() for f in expr.atoms(sp.Function, sp.Max, sp.Min)}
    tidy = sp.factor_terms(expr.xreplace(held)).xreplace({d: f for f, d in held.items()})
    content, rest = tidy.as_content_primitive()  # restoring re-spread a lone number over a sum
    return Mul(content, rest, evaluate=False) if content != 1 and rest.is_Add else tidy


def _fresh_symbol(*exprs: Expr) -> sp.Symbol:
    """A name for the generic argument of a known derivative (f'(u)) that the input does not use."""
    taken = {s.name for e in exprs for s in e.free_symbols}
    names = itertools.chain(("u", "v", "t"), (f"u_{i}" for i in itertools.count(1)))
    return sp.Symbol(next(n for n in names if n not in taken), real=True)


class _Differentiator:
    """Differentiates w.r.t. one symbol, appending a Step each time it applies a rule."""

    def __init__(self, wrt: sp.Symbol, steps: list[Step], explain: bool, generic: sp.Symbol):
        self.wrt = wrt
        self.steps = steps
        self.explain = explain
        self.generic = generic  # the u in f'(u), for functions of an inner expression
        self._memo: dict[Expr, Expr] = {}  # a repeated subexpression is derived (and shown) once
        self._known: set[type] = set()  # functions whose f'(u) is already on the page
        self._proved: set[type] = set()  # functions whose f' was already derived from the definition

    def diff(self, expr: Expr) -> Expr:
        if expr not in self._memo:
            rule, note, form = self._rule(expr)
            self.steps.append(Step(Derivative(expr, self.wrt), form(self._written), rule, note))
            self._memo[expr] = form(self._value)
        return self._memo[expr]

    def _trivial(self, expr: Expr):
        """0 or 1 for the parts not worth a step of their own (constants and the variable itself)."""
        if not expr.has(self.wrt):
            return S.Zero
        return S.One if expr == self.wrt else None

    def _written(self, expr: Expr) -> Expr:
        trivial = self._trivial(expr)
        return Derivative(expr, self.wrt) if trivial is None else trivial

    def _value(self, expr: Expr) -> Expr:
        trivial = self._trivial(expr)
        return self.diff(expr) if trivial is None else trivial

    def _rule(self, expr: Expr) -> RuleUse:
        x = self.wrt
        if not expr.has(x):
            return "constant", f"{expr} does not depend on {x}.", lambda d: S.Zero
        if expr == x:
            return "power rule", f"d{x}/d{x} = 1.", lambda d: S.One
        if isinstance(expr, Add):
            return ("sum rule", "The derivative of a sum is the sum of the derivatives; constant terms give 0.",
                    lambda d: Add(*(d(term) for term in expr.args)))
        if isinstance(expr, (Mul, Pow)):
            return self._product_rule(expr)
        op = ops.by_head(type(expr))
        if op is not None:
            return self._function_rule(expr, op)
        return ("known derivative", f"{type(expr).__name__} has no op in the registry; SymPy's own derivative.",
                lambda d: expr.diff(x))

    def _product_rule(self, expr: Expr) -> RuleUse:
        """Mul and Pow: constant multiple, general power, quotient, power or product rule."""
        constant, rest = expr.as_independent(self.wrt, as_Add=False)
        if constant != 1:
            return ("constant multiple rule", f"The constant factor {constant} carries through.",
                    lambda d: constant * d(rest))
        if isinstance(expr, Pow) and expr.exp.has(self.wrt):
            return self._general_power(expr)
        num, den = sp.fraction(expr, exact=True)
        if den.has(self.wrt) and not (isinstance(expr, Pow) and expr.base.is_Symbol):
            return ("quotient rule", f"(f/g)' = (f'g - fg')/g² with f = {num} and g = {den}.",
                    lambda d: (d(num) * den - num * d(den)) / den**2)
        if isinstance(expr, Pow):
            return self._power_rule(expr)
        factors = expr.args
        partials = ops.get("mul").local(expr, factors, None)
        return ("product rule", "Differentiate one factor at a time, keeping the others as they are.",
                lambda d: Add(*(p * d(f) for p, f in zip(partials, factors))))

    def _power_rule(self, expr: Pow) -> RuleUse:
        base, exponent = expr.args
        local = ops.get("powc").local(expr, (base,), exponent)[0]
        chain = "" if base == self.wrt else f", times the derivative of the base {base} (chain rule)"
        return "power rule", f"Bring the exponent {exponent} down and lower it by one{chain}.", \
            lambda d: local * d(base)

    def _general_power(self, expr: Pow) -> RuleUse:
        base, exponent = expr.args
        d_base, d_exponent = ops.get("pow").local(expr, expr.args, None)
        return ("general power", "f^g = exp(g·log f): the base contributes g·f^(g-1)·f', "
                                 "the exponent f^g·log(f)·g'.",
                lambda d: d_base * d(base) + d_exponent * d(exponent))

    def _function_rule(self, expr: Expr, op: ops.Op) -> RuleUse:
        """A registry op applied to its arguments: known derivative, or chain rule for inner expressions."""
        args = expr.args
        partials = op.local(expr, args, None)  # arguments past the op's partials are parameters (Heaviside's H(0))

        def form(d):
            return Add(*(p * d(a) for p, a in zip(partials, args)))

        if all(a == self.wrt for a in args if a.has(self.wrt)):
            self._justify(expr, self.wrt)
            return "known derivative", op.rule, form
        if len(args) == 1:
            self._show_known(expr.func, op)
        return ("chain rule", f"The outer {op.name}'s derivative at the inner expression, "
                              "times the derivative of the inner expression.", form)

    def _show_known(self, head: type, op: ops.Op) -> None:
        """Write f'(u) once, in a generic variable u, before the first chain rule through f."""
        if head in self._known:
            return
        self._known.add(head)
        u = self.generic
        outer = head(u)
        self._justify(outer, u)
        self.steps.append(Step(Derivative(outer, u), op.local(outer, outer.args, None)[0], "known derivative", op.rule))

    def _justify(self, outer: Expr, var: sp.Symbol) -> None:
        """The textbook proof of f' from f's exponential definition (tanh, sigmoid, softplus)."""
        head = type(outer)
        if not self.explain or head in self._proved or outer.args != (var,):
            return
        definition = outer.rewrite(sp.exp)
        if not definition.has(sp.exp) or definition.has(sp.I):
            return
        self._proved.add(head)
        self.steps.append(Step(Derivative(outer, var), Derivative(definition, var), "definition",
                               f"Write {outer} by its definition, {definition}."))
        raw = _Differentiator(var, self.steps, False, _fresh_symbol(definition, var)).diff(definition)
        local = ops.by_head(head).local(outer, (var,), None)[0]
        self.steps.append(Step(raw, local, "canonical form", f"Written in terms of {outer} itself, this is {local}."))
