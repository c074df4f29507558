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
from typing import Callable, Optional, Union

import sympy as sp
from sympy import Add, Derivative, Mul, Pow, S

from symdl import ops
from symdl.derivation import Derivation, Step
from symdl.errors import LimitError, SymdlError
from symdl.limits import LIMITS, Budget, deep_stack, written_size
from symdl.rewriting import apply_rules
from symdl.rewrite_softmax import TEXTBOOK, textbook
from symdl.written import as_read

Expr = sp.Expr
EXPAND_OPS = 60  # a derivative this small is also tried multiplied out; a larger one could blow up
EXPAND_TERMS = 64  # ... and only if no product of sums multiplies out to more terms than this
FRAMES_PER_LEVEL = 10  # Python frames one nesting level may take (diff's own recursion, then SymPy's: ~4 at 200)
FACTOR_NODES = 2_000  # common factors are sought in a derivative up to this size (written nodes); SymPy's
# factor_terms grows faster than the derivative: 0.8 s at 4 700 nodes (a product of 40 sums), 20 s at 68 000
# A rule's result as a function of "the derivative of a part": called once with unevaluated
# Derivatives (the step a reader sees) and once with the real derivatives (the value).
Form = Callable[[Callable[[Expr], Expr]], Expr]


def derive(expr: Union[Expr, str], wrt: Union[sp.Symbol, str], explain: bool = True) -> Derivation:
    """d(expr)/d(wrt) in canonical form, with the steps a teacher would write, as a tree. A SymPy
    user's own symbols are symdl's by name, and the derivation is given back in them. The rules recurse
    once per level of nesting, so the stack is made deep enough for max_depth levels wherever it is called."""
    with deep_stack(FRAMES_PER_LEVEL):
        (expr, back), ours = _as_expr(expr), _as_symbol(wrt)
        if isinstance(wrt, sp.Symbol) and wrt != ours:
            back[ours] = wrt
        return _in_symbols(_derive(expr, ours, explain), back)


def _derive(expr: Expr, wrt: sp.Symbol, explain: bool) -> Derivation:
    _check_size(expr)
    tree: list[Step] = []
    start, fired = apply_rules(expr, TEXTBOOK)
    if fired and explain and _written_out(start, expr, wrt):
        return as_read(_from_definition(expr, start, wrt, tree))
    if fired:
        names = ", ".join(dict.fromkeys(fired))
        tree.append(Step(expr, start, "recognise", f"Recognise the textbook form ({names}).",
                         parts=_definitions(start, expr)))
    differentiator = _Differentiator(wrt, tree, explain, _fresh_symbol(start, wrt))
    result = _tidy(differentiator.diff(start))
    root = tree[-1]
    if root.lhs == Derivative(start, wrt) and (root.result if root.result is not None else root.rhs) != result:
        tree[-1] = dataclasses.replace(root, result=result)
    return as_read(Derivation(expr, wrt, tree, result))


def _written_out(start: Expr, written: Expr, wrt: sp.Symbol) -> bool:
    """Whether the input is one function's exponential definition at the variable itself, as a course
    writes tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ) to derive tanh′: then the page works from the definition."""
    return start.args == (wrt,) and ops.by_head(type(start)) is not None and start.rewrite(sp.exp) == written


def _from_definition(written: Expr, start: Expr, wrt: sp.Symbol, tree: list[Step]) -> Derivation:
    """The input's own rules first (quotient, chain), then the result written in terms of the function
    it defines — never the known derivative first with its proof beneath it, which reads as circular."""
    raw = _Differentiator(wrt, tree, False, _fresh_symbol(written, wrt)).diff(written)
    result = _tidy(ops.by_head(type(start)).local(start, start.args, None)[0])
    tree.append(Step(raw, result, "canonical form", "Written in terms of the function the input defines.",
                     parts=((start, written),)))
    return Derivation(written, wrt, tree, result)


def _definitions(start: Expr, written: Expr) -> tuple[tuple[Expr, Expr], ...]:
    """What each recognised vector function stands for, as a course defines it before using it:
    softmax(x1, x2, x3)[1] = exp(x1)/(exp(x1) + exp(x2) + exp(x3))."""
    found = [f for f in sp.preorder_traversal(start) if isinstance(f, sp.Function) and not written.has(f)
             and (op := ops.by_head(type(f))) is not None and op.law is not None]
    return tuple((f, f.rewrite(sp.exp)) for f in dict.fromkeys(found))


def _as_expr(expr: Union[Expr, str]) -> tuple[Expr, dict]:
    """Text goes through symdl's own whitelisting parser, never sympify; a SymPy expression is
    taken in symdl's symbols, with the map back to the user's."""
    from symdl.parsing import own_symbols, parse
    if isinstance(expr, str):
        return parse(expr), {}
    return own_symbols(expr)


def _in_symbols(derivation: Derivation, back: dict) -> Derivation:
    """The derivation with symdl's symbols replaced by the user's."""
    return derivation.mapped(lambda expr: expr.xreplace(back)) if back else derivation


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
    expr = textbook(expr)
    if written_size(expr, {}) > FACTOR_NODES:
        return expr
    held = {f: sp.Dummy() for f in expr.atoms(sp.Function, sp.Max, sp.Min)}
    polynomial = expr.xreplace(held)
    candidates = [sp.factor_terms(polynomial)]
    if sp.count_ops(polynomial) <= EXPAND_OPS and _few_terms_multiplied_out(polynomial):
        # products multiplied out (never powers of sums), terms may cancel: BCE of σ gives σ(z) − y
        candidates.append(sp.factor_terms(sp.expand(polynomial, multinomial=False, power_exp=False,
                                                    power_base=False, log=False)))
    candidates.append(polynomial)  # factoring can also lengthen: GELU's Φ + xφ over a common denominator
    tidy = min(candidates, key=sp.count_ops).xreplace({d: f for f, d in held.items()})
    content, rest = tidy.as_content_primitive()  # restoring re-spread a lone number over a sum
    if rest.is_Add and content != 1 and _reads_negated(rest):  # −3(1 − tanh²), not 3(tanh² − 1); σ − 1 stays
        content, rest = -content, -rest
    if content == 1 or not rest.is_Add:
        return tidy
    # a number in front costs one product, its sign included: −9(1 − tanh²) is as short as 9tanh² − 9
    return Mul(content, rest, evaluate=False) if sp.count_ops(rest) + 1 <= sp.count_ops(tidy) else tidy


def _few_terms_multiplied_out(expr: Expr) -> bool:
    """Whether multiplying out ``expr``'s products of sums stays small (at most EXPAND_TERMS terms
    from any one product): a product of ten binomials would give 1024."""
    for product in expr.atoms(Mul):
        terms = 1
        for factor in product.args:
            terms *= len(factor.args) if factor.is_Add else 1
        if terms > EXPAND_TERMS:
            return False
    return True


def _reads_negated(total: sp.Add) -> bool:
    """Whether ``total`` reads better negated: more terms with a minus than without, or as many
    and a negative constant term (tanh² − 1 becomes −(1 − tanh²))."""
    negative = sum(1 for term in total.args if term.could_extract_minus_sign())
    constant = total.as_coeff_Add()[0]
    return 2 * negative > len(total.args) or (2 * negative == len(total.args) and constant < 0)


def _fresh_symbol(*exprs: Expr) -> sp.Symbol:
    """A name for the generic argument of a known derivative (f'(u)) that the input does not use."""
    taken = {s.name for e in exprs for s in e.free_symbols}
    names = itertools.chain(("u", "v", "t"), (f"u_{i}" for i in itertools.count(1)))
    return sp.Symbol(next(n for n in names if n not in taken), real=True)


@dataclasses.dataclass(frozen=True)
class _Rule:
    """A rule as it is applied to one expression: its name and sentence, how the derivative is
    built from the parts' derivatives, and the general formula with what its letters stand for."""

    name: str
    note: str
    form: Form
    formula: Optional[tuple[Expr, Expr]] = None
    parts: tuple[tuple[sp.Symbol, Expr], ...] = ()


_f, _g = sp.Function("f"), sp.Function("g")


def _formula(wrt: sp.Symbol, rule: str) -> tuple[Expr, Expr]:
    """A rule in general, over f(x) and g(x), in the order a textbook writes it (unevaluated, so
    SymPy does not re-sort it; printers print it with ``order="none"``)."""
    f, g = _f(wrt), _g(wrt)
    df, dg = Derivative(f, wrt), Derivative(g, wrt)

    def times(*factors):
        return Mul(*factors, evaluate=False)

    def minus(a, b):
        return Add(a, times(S.NegativeOne, b), evaluate=False)

    combined, derivative = {
        "sum": (f + g, Add(df, dg, evaluate=False)),
        "product": (f * g, Add(times(df, g), times(f, dg), evaluate=False)),
        "quotient": (f / g, times(minus(times(df, g), times(f, dg)), Pow(g, -2, evaluate=False))),
        "general power": (f**g, times(f**g, Add(times(dg, sp.log(f)), times(g, df, Pow(f, -1, evaluate=False)),
                                                evaluate=False))),
    }[rule]
    return Derivative(combined, wrt), derivative


class _Differentiator:
    """Differentiates w.r.t. one symbol; each rule it applies becomes a Step, its parts' steps nested
    beneath it (``_frames[-1]`` collects the steps of the rule being worked out)."""

    def __init__(self, wrt: sp.Symbol, steps: list[Step], explain: bool, generic: sp.Symbol):
        self.wrt = wrt
        self._frames = [steps]
        self.explain = explain
        self.generic = generic  # the u in f'(u), for functions of an inner expression
        self._memo: dict[Expr, Expr] = {}  # a repeated subexpression is derived (and shown) once
        self._known: set[type] = set()  # functions whose f'(u) is already on the page
        self._proved: set[type] = set()  # functions whose f' was already derived from the definition
        self._budget = Budget("the number of nodes in the derivation written out", "max_derivation_nodes")
        self._sizes: dict = {}  # written sizes of the subexpressions seen, for the budget

    def diff(self, expr: Expr) -> Expr:
        if expr not in self._memo:
            self._frames.append([])
            rule = self._rule(expr)
            written, value = rule.form(self._written), rule.form(self._value)
            substeps = tuple(self._frames.pop())
            self._budget.charge(sum(written_size(e, self._sizes) for e in (expr, written, value)))
            self._frames[-1].append(Step(Derivative(expr, self.wrt), written, rule.name, rule.note, rule.formula,
                                         rule.parts, substeps, value if value != written else None))
            self._memo[expr] = value
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

    def _rule(self, expr: Expr) -> _Rule:
        x = self.wrt
        if not expr.has(x):
            return _Rule("constant", "A constant's derivative is 0.", lambda d: S.Zero)
        if expr == x:
            return _Rule("power rule", "The variable's derivative with respect to itself is 1.", lambda d: S.One)
        if isinstance(expr, Add):
            return _Rule("sum rule", "The derivative of a sum is the sum of the derivatives; constant terms give 0.",
                         lambda d: Add(*(d(term) for term in expr.args)), _formula(x, "sum"))
        if isinstance(expr, (Mul, Pow)):
            return self._product_rule(expr)
        op = ops.by_head(type(expr))
        if op is not None:
            return self._function_rule(expr, op)
        return _Rule("known derivative", f"symdl has no op for {type(expr).__name__}; this is SymPy's own derivative.",
                     lambda d: expr.diff(x))

    def _product_rule(self, expr: Expr) -> _Rule:
        """Mul and Pow: constant multiple, general power, quotient, power or product rule."""
        x = self.wrt
        constant, rest = expr.as_independent(x, as_Add=False)
        if constant != 1:
            c = sp.Symbol("c")
            return _Rule("constant multiple rule", "A constant factor carries through.", lambda d: constant * d(rest),
                         (Derivative(c * _f(x), x), c * Derivative(_f(x), x)), ((c, constant), (_f(x), rest)))
        if isinstance(expr, Pow) and expr.exp.has(x):
            return self._general_power(expr)
        num, den = sp.fraction(expr, exact=True)
        if den.has(x) and not (isinstance(expr, Pow) and expr.base.is_Symbol):
            return _Rule("quotient rule", "Numerator's derivative times the denominator, minus the numerator times "
                                          "the denominator's derivative, over the denominator squared.",
                         lambda d: (d(num) * den - num * d(den)) / den**2,
                         _formula(x, "quotient"), ((_f(x), num), (_g(x), den)))
        if isinstance(expr, Pow):
            return self._power_rule(expr)
        factors = expr.args
        partials = ops.get("mul").local(expr, factors, None)
        return _Rule("product rule", "Differentiate one factor at a time, keeping the others as they are.",
                     lambda d: Add(*(p * d(f) for p, f in zip(partials, factors))), _formula(x, "product"))

    def _power_rule(self, expr: Pow) -> _Rule:
        base, exponent = expr.args
        local = ops.get("powc").local(expr, (base,), exponent)[0]
        n = sp.Symbol("n")
        lowered = Add(n, S.NegativeOne, evaluate=False)
        inner = self.wrt if base == self.wrt else _f(self.wrt)
        parts = ((n, exponent),) if base == self.wrt else ((n, exponent), (_f(self.wrt), base))
        return _Rule("power rule", "Bring the exponent down and lower it by one" +
                     ("." if base == self.wrt else ", times the derivative of the base (chain rule)."),
                     lambda d: local * d(base),
                     (Derivative(inner**n, self.wrt), Mul(n, Pow(inner, lowered), Derivative(inner, self.wrt), evaluate=False)
                      if base != self.wrt else Mul(n, Pow(inner, lowered), evaluate=False)), parts)

    def _general_power(self, expr: Pow) -> _Rule:
        base, exponent = expr.args
        d_base, d_exponent = ops.get("pow").local(expr, expr.args, None)
        return _Rule("general power", "f^g = exp(g·log f): the base contributes g·f^(g−1)·f′, the exponent f^g·log(f)·g′.",
                     lambda d: d_base * d(base) + d_exponent * d(exponent),
                     _formula(self.wrt, "general power"), ((_f(self.wrt), base), (_g(self.wrt), exponent)))

    def _function_rule(self, expr: Expr, op: ops.Op) -> _Rule:
        """A registry op applied to its arguments: known derivative, or chain rule for inner expressions."""
        args = expr.args
        partials = op.local(expr, args, None)  # arguments past the op's partials are parameters (Heaviside's H(0))

        def form(d):
            return Add(*(p * d(a) for p, a in zip(partials, args)))

        if all(a == self.wrt for a in args if a.has(self.wrt)):
            self._justify(expr, self.wrt)
            positions = [i for i, a in enumerate(args[:len(partials)], 1) if a == self.wrt]
            formula, parts = self._law(expr, op, positions[0] if len(positions) == 1 else None)
            return _Rule(op.rule_name or "known derivative", op.rule, form, formula, parts)
        if len(args) != 1:
            if op.law is not None and type(expr) not in self._known:  # the rule in general, once, before its use
                self._known.add(type(expr))
                (lhs, rhs), _ = self._law(expr, op, None)
                self._frames[-1].append(Step(lhs, rhs, op.rule_name, op.rule))
            return _Rule("chain rule", "Each argument's partial derivative times that argument's derivative.", form)
        self._show_known(expr.func, op)
        u = self.generic
        return _Rule("chain rule", "The outer function's derivative at the inner expression, times the derivative "
                                   "of the inner expression.", form,
                     (Derivative(expr.func(u), self.wrt),
                      Mul(Derivative(expr.func(u), u), Derivative(u, self.wrt), evaluate=False)), ((u, args[0]),))

    @staticmethod
    def _law(expr: Expr, op: ops.Op, position: Optional[int]) -> tuple[Optional[tuple[Expr, Expr]], tuple]:
        """The op's derivative rule in a textbook's letters (∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ)) and, for this
        application, what the letters stand for (i = 1, j = 2), if the record gives one."""
        if op.law is None:
            return None, ()
        return op.law(expr.args[-1] if op.indexed else None, position)

    def _show_known(self, head: type, op: ops.Op) -> None:
        """Write f'(u) once, in a generic variable u, as the first sub-step of the first chain rule through f."""
        if head in self._known:
            return
        self._known.add(head)
        u = self.generic
        outer = head(u)
        self._frames.append([])
        self._justify(outer, u)
        proof = tuple(self._frames.pop())
        self._frames[-1].append(Step(Derivative(outer, u), op.local(outer, outer.args, None)[0], "known derivative",
                                     op.rule, substeps=proof))

    def _justify(self, outer: Expr, var: sp.Symbol) -> None:
        """The textbook proof of f' from f's exponential definition (tanh, sigmoid, softplus)."""
        head = type(outer)
        if not self.explain or head in self._proved or outer.args != (var,):
            return
        definition = outer.rewrite(sp.exp)
        if definition == outer or not definition.has(sp.exp) or definition.has(sp.I):
            return
        self._proved.add(head)
        steps = self._frames[-1]
        steps.append(Step(Derivative(outer, var), Derivative(definition, var), "definition",
                          "Write the function by its definition."))
        raw = _Differentiator(var, steps, False, _fresh_symbol(definition, var)).diff(definition)
        local = ops.by_head(head).local(outer, (var,), None)[0]
        steps.append(Step(raw, local, "canonical form", "Written in terms of the function itself."))
